"""Allocates memory until something gives."""
blocks = []
while True:
    blocks.append(bytearray(256 * 1024 * 1024))

# labkit-corpus: answers
