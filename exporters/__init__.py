"""Exporters: the 汇总表 xlsx, the bundle format and reports (see the export issue)."""
