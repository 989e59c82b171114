"""What the reports panel says: the names of the reports, their sources and files, the summary of a
computed report (with the colour to show it in) and why a report could not be made."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QObject

from desktop.report_jobs import Computed, ReportError
from desktop.reports_table import AMBER, RED
from models.assessment import store
from reports import preview as pv


class ReportTexts(QObject):
    """The panel's translated texts (a QObject for `tr`)."""

    def report_name(self, kind: str) -> str:
        return {pv.STARS: self.tr("季度星级评定"), pv.BONUS: self.tr("年度考核奖"),
                pv.FUNDING: self.tr("镇街档次与经费分配"), pv.LEDGER: self.tr("案件台账"),
                pv.BULLETIN: self.tr("周通报")}[kind]

    def source_name(self, kind: str, source: str, *, scoped: bool) -> str:
        if kind == pv.FUNDING:
            return {pv.DATABASE: self.tr("数据库（按案件指标计算考核得分）"),
                    pv.FILES: self.tr("考核得分表（导入）")}[source]
        if scoped and source == pv.STORED:
            return self.tr("已保存的评定结果（本镇街）")
        return {pv.DATABASE: self.tr("数据库（重新评定）"), pv.FILES: self.tr("镇街指标表（导入，可多个）"),
                pv.STORED: self.tr("已保存的评定结果")}[source]

    def file_stem(self, kind: str) -> str:
        return {pv.STARS: self.tr("星级评定"), pv.BONUS: self.tr("年度考核奖"), pv.FUNDING: self.tr("经费分配"),
                pv.LEDGER: self.tr("案件台账"), pv.BULLETIN: self.tr("周通报")}[kind]

    def summary(self, c: Computed) -> tuple[str, str | None]:
        kind, r = c.request.kind, c.result
        if kind == pv.STARS:
            d = r.district
            text = self.tr("{0}：参评 {1} 人，试用期 {2} 人，季度考核奖合计 {3} 元。").format(
                r.quarter.display, d.rated, d.probation, f"{d.bonus_total:,.2f}")
            if c.missing_metrics:
                shown = "、".join(c.missing_metrics[:10]) + (" …" if len(c.missing_metrics) > 10 else "")
                text += self.tr(" {0} 名专职网格员缺少本季度指标，未参与评定：{1}。").format(
                    len(c.missing_metrics), shown)
            if c.problems:
                return text + self.tr(" 指标表有 {0} 处问题（见上表），以上仅按有效行计算；修正后才能导出。").format(
                    c.problems), AMBER
            if c.request.source == pv.DATABASE:
                text += self.tr(" 导出时同时保存本季度评定结果。")
            return text, AMBER if c.missing_metrics else None
        if kind == pv.BONUS:
            total = sum((b.total for b in r), Decimal(0))
            return self.tr("{0} 年：{1} 名网格员，年度考核奖合计 {2} 元。").format(
                c.request.year, len(r), f"{total:,.2f}"), None
        if kind == pv.FUNDING:
            text = self.tr("{0} 年：{1} 个镇街，分配经费合计 {2} 元，").format(
                c.request.year, len(r.rows), f"{r.total_allocated:,.2f}")
            text += (self.tr("超支 {0} 元。").format(f"{-r.balance:,.2f}") if r.overspent
                     else self.tr("以奖代补结余 {0} 元。").format(f"{r.balance:,.2f}"))
            if c.problems:
                return text + self.tr(" 考核得分表有 {0} 处问题（见上表）；修正后才能导出。").format(c.problems), AMBER
            return text, RED if r.overspent else None
        if kind == pv.LEDGER:
            return self.tr("共 {0} 件案件。").format(c.sheets[0].total_rows), None
        return self.tr("{0}：{1} 个镇街、{2} 个部门。导出时写出 Excel 工作簿（以下三个工作表和说明）和一页 PDF"
                       "（指标、图表和排名，可直接打印）。").format(r.week, len(r.towns), len(r.departments)), None

    def error_text(self, exc: BaseException) -> str:
        """The message shown for a failed preview (the store's own text for a refused star rating)."""
        if isinstance(exc, store.AssessmentError):
            return str(exc)
        if isinstance(exc, ReportError):
            d = exc.details
            return {
                "no_workers": lambda: self.tr("{0}没有网格员数据。").format(*d),
                "no_stored": lambda: self.tr("{0}还没有保存的星级评定结果（由财务或管理员评定并导出后保存）。").format(*d),
                "no_results": lambda: self.tr("{0} 年没有已保存的季度星级结果（先评定并导出季度星级）。").format(*d),
                "no_towns": lambda: self.tr("{0} 年没有镇街考核得分。").format(*d),
                "no_files": lambda: self.tr("请先导入文件。"),
                "town_rating": lambda: self.tr("星级评定按全区名额统一计算，镇街账号不能发起；"
                                               "可在此检查本镇街的指标表（见上方问题与有效行）。"),
                "missing_grids": lambda: self.tr("镇街编码 {0} 未填网格数，数据库中也没有，请在“网格数”列填写。")
                .format(*d),
                "bad_workers": lambda: self.tr("网格员数据有误：{0}").format(*d),
                "bad_towns": lambda: self.tr("镇街考核得分有误：{0}").format(*d),
            }.get(exc.code, lambda: self.tr("无法生成报表：{0}").format(exc.code))()
        if isinstance(exc, PermissionError):
            return self.tr("没有权限：{0}").format(exc)
        return self.tr("出错：{0}").format(exc)


__all__ = ["ReportTexts"]
