"""The cabinet operator's staff: their login to the operator console (/operator/)."""
