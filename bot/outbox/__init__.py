"""Every message Undertone sends to Slack goes through the outbox."""
