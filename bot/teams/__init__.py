"""Teams: which channels belong together and who manages them."""
