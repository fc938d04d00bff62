"""Work queues as data: who is responsible, who is a member, the rules; dispatching tasks."""
