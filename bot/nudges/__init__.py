"""Private nudges to the author of a contemptuous message."""
