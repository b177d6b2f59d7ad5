#!/usr/bin/env python3
"""The size limits of host/ (docs/architecture.md, "Style"): no source file over 500 lines,
no function over 80 lines. A function is a brace block opened outside any other function:
at namespace scope, or directly in a class body. Lambdas count as part of their function.
Prints each violation as file:line and exits 1 if there is any."""
import re
import sys
from pathlib import Path

MAX_FILE, MAX_FUNCTION = 500, 80
SCOPE = re.compile(r'^\s*(template\s*<.*>\s*)?(namespace|class|struct|union|extern\s+"C")\b')


def strip(line):
    """The line without strings, character literals and // comments."""
    line = re.sub(r'R"\((.|\n)*?\)"', '""', line)
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return line.split('//')[0]


def functions(text):
    """(first line, length) of each function body in `text`."""
    stack = []  # per open brace: 'scope' (namespace or class), 'body' or 'inner'
    start = 0
    pending_scope = False  # a namespace or class head whose brace is on a later line
    in_raw = False
    for number, raw in enumerate(text.splitlines(), 1):
        if in_raw:
            if ')"' not in raw:
                continue
            in_raw = False
            raw = raw.split(')"', 1)[1]
        if 'R"(' in raw and ')"' not in raw.split('R"(', 1)[1]:
            in_raw = True
            raw = raw.split('R"(', 1)[0]
        line = strip(raw)
        if SCOPE.match(line):
            pending_scope = True
        for ch in line:
            if ch == ';':
                pending_scope = False
            elif ch == '{':
                if any(kind != 'scope' for kind in stack):
                    stack.append('inner')
                elif pending_scope:
                    stack.append('scope')
                    pending_scope = False
                else:
                    stack.append('body')
                    start = number
            elif ch == '}' and stack:
                if stack.pop() == 'body':
                    yield start, number - start + 1


def main(root):
    bad = 0
    for path in sorted(Path(root).rglob('*')):
        if path.suffix not in ('.cpp', '.hpp'):
            continue
        text = path.read_text()
        lines = text.count('\n')
        if lines > MAX_FILE:
            print(f'{path}:1: {lines} lines, more than {MAX_FILE}')
            bad += 1
        for first, length in functions(text):
            if length > MAX_FUNCTION:
                print(f'{path}:{first}: a function of {length} lines, more than {MAX_FUNCTION}')
                bad += 1
    print(f'{bad} over the limits' if bad else f'{root}: every file and function within the limits')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'host'))
