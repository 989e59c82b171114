"""KPI panels of the command centre (issue 6): `dashboard.KpiDashboard`, its tiles and pyqtgraph
charts, and the one-page weekly bulletin PDF (`bulletin_pdf`)."""
