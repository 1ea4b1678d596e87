"""Recognition development set: generated invoices with known truth, scans of them, and the accuracy bench."""
