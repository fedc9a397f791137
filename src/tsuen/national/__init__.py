"""The national operator's screens: municipalities, national rate tables, aggregate statistics."""
