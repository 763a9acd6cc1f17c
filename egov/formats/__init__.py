"""Project format overrides, read by Django before its own locale formats (FORMAT_MODULE_PATH)."""
