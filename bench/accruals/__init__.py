"""The accrual bench: precision and recall of assignments on generated freight invoices, and speed."""
