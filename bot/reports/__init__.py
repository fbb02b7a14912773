"""Files for admins: PNG charts (matplotlib) and Excel workbooks (openpyxl)."""
