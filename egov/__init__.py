"""Open-source e-government platform for Vietnamese provinces."""
