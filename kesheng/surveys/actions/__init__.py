"""State changes of surveys, split by topic: ``surveys`` (definitions and versions),
``responses`` (answering), ``distribution`` (links, invitations, sending)."""
