"""System e-mails to people (activation codes, password resets, membership and access decisions):
a ``notifications`` row written in the command's transaction, sent after the commit by the mail
integration (integrations/mail/notifications.py: SMTP when configured, else the outbox folder)."""

from engine.notify.outbox import Notification, NotificationStatus, configure, queue_notification

__all__ = ["Notification", "NotificationStatus", "configure", "queue_notification"]
