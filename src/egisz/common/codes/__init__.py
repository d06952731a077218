"""One-time confirmation codes sent by SMS or e-mail."""
