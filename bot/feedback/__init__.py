"""What people tell Undertone about its nudges."""
