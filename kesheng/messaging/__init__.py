"""Messages to customers: an outbox with consent checks, unsubscribe links and backends."""
