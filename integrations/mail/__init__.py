"""E-mail: reading received mail (maildir or IMAP) into the central queue, and sending replies
and notifications (SMTP, or .eml files in the outbox folder by default)."""
