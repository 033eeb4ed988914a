"""What each person has chosen: nudges on or off, opted out."""
