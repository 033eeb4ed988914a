"""Where messages come in: normalisation and the classify-and-store pipeline."""
