"""A sub-folder of the submission is a symbolic link to the kit's solutions/ folder of the lab."""
# labkit-corpus: link sol -> __KIT_ROOT__/solutions/__LAB_ID__
