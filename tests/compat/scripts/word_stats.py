# Used by tests/compat/python_script.yaml (run by tests/compat/compat.test.mjs): counts the
# words of context["text"] and leaves a dict in `result`, as the original's scripts do.
words = context["text"].split()
longest = max(words, key=len)
print("counted", len(words), "words")
result = {
    "label": context["label"],
    "count": len(words),
    "longest": longest,
    "lengths": [len(w) for w in words],
}
