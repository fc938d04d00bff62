"""Portal accounts (seed 002): sign-up, activation by e-mailed code, profile, e-mail change and
password reset. Every state change is a command here, audited with subject_type ``user``."""
