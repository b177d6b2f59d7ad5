// placeholder: the queue, filled in by its author
