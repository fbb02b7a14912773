"""Question bank import and export: Excel .xlsx, CSV, Moodle GIFT and Aiken, and bank YAML.
See docs/content-formats.md ("Spreadsheet, GIFT and Aiken") for the column mapping."""

from bot.catalog.bank_io.columns import ImportProblem
from bot.catalog.bank_io.exporter import EXTENSIONS, FORMATS, export_questions, select
from bot.catalog.bank_io.importer import (
    ImportFormatError,
    ImportResult,
    detect_format,
    import_into_bank,
    read_questions,
)
from bot.catalog.bank_io.xlsx import write_template

__all__ = ["EXTENSIONS", "FORMATS", "ImportFormatError", "ImportProblem", "ImportResult", "detect_format",
           "export_questions", "import_into_bank", "read_questions", "select", "write_template"]
