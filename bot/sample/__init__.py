"""The bundled sample export of Quillon, a fictional company, and how it is built."""
