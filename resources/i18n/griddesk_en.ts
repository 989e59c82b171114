<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="zh_CN">
<context>
    <name>Actions</name>
    <message>
        <source>受理新案件…</source>
        <translation>New Case…</translation>
    </message>
    <message>
        <source>立即刷新</source>
        <translation>Refresh Now</translation>
    </message>
    <message>
        <source>按规则督办</source>
        <translation>Supervise by Rule</translation>
    </message>
    <message>
        <source>在地图上定位</source>
        <translation>Locate on Map</translation>
    </message>
    <message>
        <source>与网格视频会商</source>
        <translation>Video Consultation with Grid</translation>
    </message>
    <message>
        <source>与镇街视频会商…</source>
        <translation>Video Consultation with Town…</translation>
    </message>
    <message>
        <source>结束会商…</source>
        <translation>End Consultation…</translation>
    </message>
    <message>
        <source>全屏</source>
        <translation>Full Screen</translation>
    </message>
    <message>
        <source>大屏布局</source>
        <translation>Video Wall Layout</translation>
    </message>
    <message>
        <source>办公布局</source>
        <translation>Office Layout</translation>
    </message>
    <message>
        <source>恢复默认布局</source>
        <translation>Reset Layout</translation>
    </message>
    <message>
        <source>新红灯案件声音提示</source>
        <translation>Sound Alert for New Red Cases</translation>
    </message>
    <message>
        <source>报表与导出…</source>
        <translation>Reports and Exports…</translation>
    </message>
    <message>
        <source>注销</source>
        <translation>Log Out</translation>
    </message>
    <message>
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <source>关于 GridDesk</source>
        <translation>About GridDesk</translation>
    </message>
    <message>
        <source>文件</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>案件</source>
        <translation>&amp;Cases</translation>
    </message>
    <message>
        <source>视图</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <source>报表</source>
        <translation>&amp;Reports</translation>
    </message>
    <message>
        <source>帮助</source>
        <translation>&amp;Help</translation>
    </message>
</context>
<context>
    <name>CaseController</name>
    <message>
        <source>无法执行</source>
        <translation>Action Not Possible</translation>
    </message>
    <message>
        <source>数据库连接中断</source>
        <translation>Database Connection Lost</translation>
    </message>
    <message>
        <source>操作未保存, 您填写的内容已保留, 请稍后重试。
{0}</source>
        <translation>The action was not saved. What you entered has been kept; please try again later.
{0}</translation>
    </message>
    <message>
        <source>无法受理</source>
        <translation>Cannot Register the Case</translation>
    </message>
    <message>
        <source>案件未保存, 您填写的内容已保留, 请稍后重试。
{0}</source>
        <translation>The case was not saved. What you entered has been kept; please try again later.
{0}</translation>
    </message>
</context>
<context>
    <name>ConferenceController</name>
    <message>
        <source>无法开始视频会商: {0}</source>
        <translation>Cannot start the video consultation: {0}</translation>
    </message>
    <message>
        <source>无法打开浏览器: {0}</source>
        <translation>Cannot open the browser: {0}</translation>
    </message>
    <message>
        <source>视频会商</source>
        <translation>Video Consultation</translation>
    </message>
    <message>
        <source>与镇街视频会商</source>
        <translation>Video Consultation with Town</translation>
    </message>
    <message>
        <source>镇街</source>
        <translation>Town</translation>
    </message>
    <message>
        <source>下一步</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>尚未配置视频会商系统, 请联系管理员。</source>
        <translation>No video consultation system is configured; please contact the administrator.</translation>
    </message>
    <message>
        <source>会商未开始: 无法写入流转记录。
{0}</source>
        <translation>The consultation did not start: the flow log could not be written.
{0}</translation>
    </message>
    <message>
        <source>会商结束未能记录: {0}</source>
        <translation>The end of the consultation could not be recorded: {0}</translation>
    </message>
    <message>
        <source>会商客户端未能启动: {0}</source>
        <translation>The conference client did not start: {0}</translation>
    </message>
</context>
<context>
    <name>ConferencePanel</name>
    <message>
        <source>挂断</source>
        <translation>Hang Up</translation>
    </message>
    <message>
        <source>无会商</source>
        <translation>No consultation</translation>
    </message>
    <message>
        <source>视频会商: {room}</source>
        <translation>Video consultation: {room}</translation>
    </message>
</context>
<context>
    <name>ConsultActions</name>
    <message>
        <source>尚未配置视频会商系统, 请联系管理员。</source>
        <translation>No video consultation system is configured; please contact the administrator.</translation>
    </message>
    <message>
        <source>请先在地图上点击选择网格。</source>
        <translation>Click a grid on the map to select it first.</translation>
    </message>
    <message>
        <source>与网格 {0} 视频会商</source>
        <translation>Video consultation with grid {0}</translation>
    </message>
    <message>
        <source>选择镇街并开始视频会商</source>
        <translation>Choose a town and start a video consultation</translation>
    </message>
    <message>
        <source>记录本席位进行中会商的结束 ({0} 个)</source>
        <translation>Record the end of a consultation running on this seat ({0} running)</translation>
    </message>
    <message>
        <source>本席位没有进行中的会商。</source>
        <translation>No consultation is running on this seat.</translation>
    </message>
</context>
<context>
    <name>ConsultDialog</name>
    <message>
        <source>网格长</source>
        <translation>Grid leader</translation>
    </message>
    <message>
        <source>专职网格员</source>
        <translation>Full-time grid worker</translation>
    </message>
    <message>
        <source>网格指导员</source>
        <translation>Grid guide</translation>
    </message>
    <message>
        <source>兼职网格员</source>
        <translation>Part-time grid worker</translation>
    </message>
    <message>
        <source>镇街</source>
        <translation>Town officer</translation>
    </message>
    <message>
        <source>职能部门</source>
        <translation>Department</translation>
    </message>
    <message>
        <source>视频会商</source>
        <translation>Video Consultation</translation>
    </message>
    <message>
        <source>会商对象</source>
        <translation>Subject</translation>
    </message>
    <message>
        <source>会议室</source>
        <translation>Room</translation>
    </message>
    <message>
        <source>会商系统</source>
        <translation>Consultation system</translation>
    </message>
    <message>
        <source>没有可建议的参会人员</source>
        <translation>No participants to suggest</translation>
    </message>
    <message>
        <source>开始会商</source>
        <translation>Start Consultation</translation>
    </message>
    <message>
        <source>参会人员</source>
        <translation>Participants</translation>
    </message>
    <message>
        <source>会商面板</source>
        <translation>consultation panel</translation>
    </message>
    <message>
        <source>浏览器</source>
        <translation>browser</translation>
    </message>
    <message>
        <source>客户端</source>
        <translation>client</translation>
    </message>
</context>
<context>
    <name>EndConsultDialog</name>
    <message>
        <source>结束会商</source>
        <translation>End Consultation</translation>
    </message>
    <message>
        <source>本席位进行中的会商</source>
        <translation>Consultations running on this seat</translation>
    </message>
    <message>
        <source>结束时间</source>
        <translation>Ended at</translation>
    </message>
    <message>
        <source>在浏览器中进行的会商: 请填写实际结束时间。</source>
        <translation>A consultation held in the browser: enter when it actually ended.</translation>
    </message>
    <message>
        <source>会商面板将挂断。</source>
        <translation>The consultation panel will hang up.</translation>
    </message>
    <message>
        <source>将关闭会商客户端, 其退出时间即为结束时间。</source>
        <translation>The conference client will be asked to quit; the time it exits is the end.</translation>
    </message>
</context>
<context>
    <name>FullScreenVideo</name>
    <message>
        <source>视频墙</source>
        <translation>Video Wall</translation>
    </message>
</context>
<context>
    <name>ImportBox</name>
    <message>
        <source>导入的文件</source>
        <translation>Imported files</translation>
    </message>
    <message>
        <source>导入指标表…</source>
        <translation>Import Metrics Sheets…</translation>
    </message>
    <message>
        <source>清除</source>
        <translation>Clear</translation>
    </message>
    <message>
        <source>问题</source>
        <translation>Problems</translation>
    </message>
    <message>
        <source>有效行</source>
        <translation>Valid rows</translation>
    </message>
    <message>
        <source>选择考核得分表…</source>
        <translation>Choose Score Sheet…</translation>
    </message>
    <message>
        <source>正在读取 {0} 个文件…</source>
        <translation>Reading {0} file(s)…</translation>
    </message>
    <message>
        <source>无法读取文件：{0}</source>
        <translation>Cannot read the file: {0}</translation>
    </message>
    <message>
        <source>尚未导入。</source>
        <translation>Nothing imported yet.</translation>
    </message>
    <message>
        <source>问题（{0}）</source>
        <translation>Problems ({0})</translation>
    </message>
    <message>
        <source>有效行（{0}）</source>
        <translation>Valid rows ({0})</translation>
    </message>
    <message>
        <source>{0} 个文件：{1}；有效 {2} 行，问题 {3} 处。</source>
        <translation>{0} file(s): {1}; {2} valid row(s), {3} problem(s).</translation>
    </message>
</context>
<context>
    <name>KpiDashboard</name>
    <message>
        <source>案件过多, 只列出最新的 %1 件</source>
        <translation>Too many cases: only the newest %1 are listed</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>登录 GridDesk 网格化治理指挥中心</source>
        <translation>Log in to GridDesk Grid Governance Command Centre</translation>
    </message>
    <message>
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>登录</source>
        <translation>Log In</translation>
    </message>
    <message>
        <source>演示库: 用户 duty / leader / dispatch / town / finance / admin, 密码 griddesk</source>
        <translation>Demo database: users duty / leader / dispatch / town / finance / admin, password griddesk</translation>
    </message>
    <message>
        <source> (至 {0})</source>
        <translation> (until {0})</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>GridDesk 网格化治理指挥中心</source>
        <translation>GridDesk Grid Governance Command Centre</translation>
    </message>
    <message>
        <source> — 演示数据</source>
        <translation> — Demo Data</translation>
    </message>
    <message>
        <source>案件队列</source>
        <translation>Case Queue</translation>
    </message>
    <message>
        <source>案件详情</source>
        <translation>Case Detail</translation>
    </message>
    <message>
        <source>考核指标</source>
        <translation>Performance Indicators</translation>
    </message>
    <message>
        <source>视频监控</source>
        <translation>Video</translation>
    </message>
    <message>
        <source>演示数据 — 非真实案件</source>
        <translation>Demo data — not real cases</translation>
    </message>
    <message>
        <source>常用</source>
        <translation>Main Toolbar</translation>
    </message>
    <message>
        <source>已受理新案件</source>
        <translation>New case registered</translation>
    </message>
    <message>
        <source>按规则督办: 新发 {0} 张督办卡</source>
        <translation>Supervised by rule: {0} new supervision card(s) issued</translation>
    </message>
    <message>
        <source>切换布局</source>
        <translation>Switch Layout</translation>
    </message>
    <message>
        <source>布局将在重新登录后生效 (griddesk gui --layout {0})。</source>
        <translation>The layout takes effect at the next log-in (griddesk gui --layout {0}).</translation>
    </message>
    <message>
        <source>界面语言将在重新启动后生效。</source>
        <translation>The interface language takes effect after a restart.</translation>
    </message>
    <message>
        <source>GridDesk 网格化治理指挥中心
闭环处置 · 实时监控 · 考核评价</source>
        <translation>GridDesk Grid Governance Command Centre
Closed-loop case handling · Live monitoring · Performance assessment</translation>
    </message>
</context>
<context>
    <name>PeriodPicker</name>
    <message>
        <source> 年</source>
        <translation> (year)</translation>
    </message>
    <message>
        <source>第一季度</source>
        <translation>Q1</translation>
    </message>
    <message>
        <source>第二季度</source>
        <translation>Q2</translation>
    </message>
    <message>
        <source>第三季度</source>
        <translation>Q3</translation>
    </message>
    <message>
        <source>第四季度</source>
        <translation>Q4</translation>
    </message>
    <message>
        <source>至</source>
        <translation>to</translation>
    </message>
    <message>
        <source>（不含截止日）</source>
        <translation>(end date excluded)</translation>
    </message>
    <message>
        <source>{0}（{1} 至 {2}）</source>
        <translation>{0} ({1} to {2})</translation>
    </message>
</context>
<context>
    <name>ReportExport</name>
    <message>
        <source>输出目录不存在：{0}</source>
        <translation>The output folder does not exist: {0}</translation>
    </message>
    <message>
        <source>输出路径是一个文件夹：{0}</source>
        <translation>The output path is a folder: {0}</translation>
    </message>
    <message>
        <source>输出文件不能覆盖输入文件：{0}</source>
        <translation>The output file must not overwrite an input file: {0}</translation>
    </message>
    <message>
        <source>正在导出 {0}…</source>
        <translation>Exporting {0}…</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>导出 Excel</source>
        <translation>Export to Excel</translation>
    </message>
    <message>
        <source>导出 Excel 和 PDF</source>
        <translation>Export Excel and PDF</translation>
    </message>
    <message>
        <source>已写入 {0} / {1} 行…</source>
        <translation>{0} / {1} rows written…</translation>
    </message>
    <message>
        <source>正在写出 Excel 工作簿…</source>
        <translation>Writing the Excel workbook…</translation>
    </message>
    <message>
        <source>正在绘制一页 PDF…</source>
        <translation>Drawing the one-page PDF…</translation>
    </message>
    <message>
        <source>正在取消…</source>
        <translation>Cancelling…</translation>
    </message>
    <message>
        <source>已取消，未生成文件。</source>
        <translation>Cancelled; no file was written.</translation>
    </message>
    <message>
        <source>已导出：{0}</source>
        <translation>Exported: {0}</translation>
    </message>
    <message>
        <source>已导出：{0} 和一页 PDF {1}</source>
        <translation>Exported: {0} and the one-page PDF {1}</translation>
    </message>
    <message>
        <source>（{0} 行，{1} 个工作表）</source>
        <translation> ({0} rows, {1} sheet(s))</translation>
    </message>
    <message>
        <source>；已保存 {0} 名网格员的本季度评定结果。</source>
        <translation>; this quarter&apos;s ratings of {0} grid worker(s) were saved.</translation>
    </message>
    <message>
        <source>无法写入 {0}：{1}</source>
        <translation>Cannot write {0}: {1}</translation>
    </message>
    <message>
        <source>导出失败，未生成文件：{0}</source>
        <translation>The export failed; no file was written: {0}</translation>
    </message>
</context>
<context>
    <name>ReportTexts</name>
    <message>
        <source>季度星级评定</source>
        <translation>Quarterly Star Rating</translation>
    </message>
    <message>
        <source>年度考核奖</source>
        <translation>Annual Performance Bonus</translation>
    </message>
    <message>
        <source>镇街档次与经费分配</source>
        <translation>Town Tiers and Funding</translation>
    </message>
    <message>
        <source>案件台账</source>
        <translation>Case Ledger</translation>
    </message>
    <message>
        <source>周通报</source>
        <translation>Weekly Bulletin</translation>
    </message>
    <message>
        <source>数据库（按案件指标计算考核得分）</source>
        <translation>Database (scores computed from the case indicators)</translation>
    </message>
    <message>
        <source>考核得分表（导入）</source>
        <translation>Score sheet (imported)</translation>
    </message>
    <message>
        <source>已保存的评定结果（本镇街）</source>
        <translation>Saved ratings (this town)</translation>
    </message>
    <message>
        <source>数据库（重新评定）</source>
        <translation>Database (rate again)</translation>
    </message>
    <message>
        <source>镇街指标表（导入，可多个）</source>
        <translation>Town metrics sheets (imported, several allowed)</translation>
    </message>
    <message>
        <source>已保存的评定结果</source>
        <translation>Saved ratings</translation>
    </message>
    <message>
        <source>星级评定</source>
        <translation>Star rating</translation>
    </message>
    <message>
        <source>经费分配</source>
        <translation>Funding</translation>
    </message>
    <message>
        <source>{0}：参评 {1} 人，试用期 {2} 人，季度考核奖合计 {3} 元。</source>
        <translation>{0}: {1} rated, {2} on probation, quarterly bonuses total {3} yuan.</translation>
    </message>
    <message>
        <source> {0} 名专职网格员缺少本季度指标，未参与评定：{1}。</source>
        <translation> {0} full-time grid worker(s) have no metrics for this quarter and were not rated: {1}.</translation>
    </message>
    <message>
        <source> 指标表有 {0} 处问题（见上表），以上仅按有效行计算；修正后才能导出。</source>
        <translation> The metrics sheets have {0} problem(s) (see the table above); the figures use the valid rows only. Fix them before exporting.</translation>
    </message>
    <message>
        <source> 导出时同时保存本季度评定结果。</source>
        <translation> Exporting also saves this quarter&apos;s ratings.</translation>
    </message>
    <message>
        <source>{0} 年：{1} 名网格员，年度考核奖合计 {2} 元。</source>
        <translation>{0}: {1} grid worker(s), annual bonuses total {2} yuan.</translation>
    </message>
    <message>
        <source>{0} 年：{1} 个镇街，分配经费合计 {2} 元，</source>
        <translation>{0}: {1} town(s), funding allocated {2} yuan, </translation>
    </message>
    <message>
        <source>超支 {0} 元。</source>
        <translation>overspent by {0} yuan.</translation>
    </message>
    <message>
        <source>以奖代补结余 {0} 元。</source>
        <translation>reward-based subsidy balance {0} yuan.</translation>
    </message>
    <message>
        <source> 考核得分表有 {0} 处问题（见上表）；修正后才能导出。</source>
        <translation> The score sheet has {0} problem(s) (see the table above); fix them before exporting.</translation>
    </message>
    <message>
        <source>共 {0} 件案件。</source>
        <translation>{0} case(s) in total.</translation>
    </message>
    <message>
        <source>{0}：{1} 个镇街、{2} 个部门。导出时写出 Excel 工作簿（以下三个工作表和说明）和一页 PDF（指标、图表和排名，可直接打印）。</source>
        <translation>{0}: {1} towns, {2} departments. The export writes the Excel workbook (the three sheets below and the notes) and a one-page PDF (indicators, charts and rankings, ready to print).</translation>
    </message>
    <message>
        <source>{0}没有网格员数据。</source>
        <translation>{0} has no grid worker data.</translation>
    </message>
    <message>
        <source>{0}还没有保存的星级评定结果（由财务或管理员评定并导出后保存）。</source>
        <translation>{0} has no saved star ratings yet (they are saved when finance or an administrator rates and exports them).</translation>
    </message>
    <message>
        <source>{0} 年没有已保存的季度星级结果（先评定并导出季度星级）。</source>
        <translation>No quarterly star ratings are saved for {0} (rate and export the quarters first).</translation>
    </message>
    <message>
        <source>{0} 年没有镇街考核得分。</source>
        <translation>No town scores for {0}.</translation>
    </message>
    <message>
        <source>请先导入文件。</source>
        <translation>Import a file first.</translation>
    </message>
    <message>
        <source>星级评定按全区名额统一计算，镇街账号不能发起；可在此检查本镇街的指标表（见上方问题与有效行）。</source>
        <translation>Star ratings use district-wide quotas, so a town account cannot start them; you can check this town&apos;s metrics sheet here (see the problems and valid rows above).</translation>
    </message>
    <message>
        <source>镇街编码 {0} 未填网格数，数据库中也没有，请在“网格数”列填写。</source>
        <translation>Town code {0} has no grid count and the database has none either; fill in the &quot;grid count&quot; column.</translation>
    </message>
    <message>
        <source>网格员数据有误：{0}</source>
        <translation>Grid worker data is wrong: {0}</translation>
    </message>
    <message>
        <source>镇街考核得分有误：{0}</source>
        <translation>Town scores are wrong: {0}</translation>
    </message>
    <message>
        <source>无法生成报表：{0}</source>
        <translation>Cannot make the report: {0}</translation>
    </message>
    <message>
        <source>没有权限：{0}</source>
        <translation>Not permitted: {0}</translation>
    </message>
    <message>
        <source>出错：{0}</source>
        <translation>Error: {0}</translation>
    </message>
</context>
<context>
    <name>ReportsPanel</name>
    <message>
        <source>报表与导出</source>
        <translation>Reports and Exports</translation>
    </message>
    <message>
        <source>报表</source>
        <translation>Report</translation>
    </message>
    <message>
        <source>期间</source>
        <translation>Period</translation>
    </message>
    <message>
        <source>镇街</source>
        <translation>Town</translation>
    </message>
    <message>
        <source>全部镇街</source>
        <translation>All towns</translation>
    </message>
    <message>
        <source>数据来源</source>
        <translation>Data source</translation>
    </message>
    <message>
        <source>刷新预览</source>
        <translation>Refresh Preview</translation>
    </message>
    <message>
        <source>导出 Excel 和 PDF…</source>
        <translation>Export Excel and PDF…</translation>
    </message>
    <message>
        <source>导出 Excel 和 PDF（PDF 与工作簿同名，写在同一文件夹）</source>
        <translation>Export Excel and PDF (the PDF takes the workbook&apos;s name, in the same folder)</translation>
    </message>
    <message>
        <source>预览</source>
        <translation>Preview</translation>
    </message>
    <message>
        <source>导出 Excel…</source>
        <translation>Export to Excel…</translation>
    </message>
    <message>
        <source>打开所在文件夹</source>
        <translation>Open Containing Folder</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>当前账号没有可用的报表。</source>
        <translation>No reports are available to this account.</translation>
    </message>
    <message>
        <source>请先导入指标表（可一次选择多个文件）。</source>
        <translation>Import the metrics sheets first (several files can be chosen at once).</translation>
    </message>
    <message>
        <source>请先选择考核得分表。</source>
        <translation>Choose a score sheet first.</translation>
    </message>
    <message>
        <source>正在计算预览…</source>
        <translation>Computing the preview…</translation>
    </message>
    <message>
        <source>共 {0} 行，预览前 {1} 行；导出时写入全部。</source>
        <translation>{0} rows; the preview shows the first {1}; the export writes them all.</translation>
    </message>
    <message>
        <source>共 {0} 行。</source>
        <translation>{0} rows.</translation>
    </message>
    <message>
        <source>导入镇街指标表</source>
        <translation>Import Town Metrics Sheets</translation>
    </message>
    <message>
        <source>Excel 工作簿 (*.xlsx)</source>
        <translation>Excel workbooks (*.xlsx)</translation>
    </message>
    <message>
        <source>选择考核得分表</source>
        <translation>Choose Score Sheet</translation>
    </message>
    <message>
        <source>导出 Excel</source>
        <translation>Export to Excel</translation>
    </message>
    <message>
        <source>正在导出…</source>
        <translation>Exporting…</translation>
    </message>
</context>
<context>
    <name>StreamTile</name>
    <message>
        <source>无摄像头</source>
        <translation>No camera</translation>
    </message>
    <message>
        <source>已停止</source>
        <translation>Stopped</translation>
    </message>
    <message>
        <source>连接中</source>
        <translation>Connecting</translation>
    </message>
    <message>
        <source>播放中</source>
        <translation>Playing</translation>
    </message>
    <message>
        <source>无信号</source>
        <translation>No signal</translation>
    </message>
    <message>
        <source>视频流连接失败</source>
        <translation>Cannot connect to the video stream</translation>
    </message>
    <message>
        <source>重试中（{n} 秒）</source>
        <translation>Retrying ({n} s)</translation>
    </message>
</context>
<context>
    <name>VideoMosaic</name>
    <message>
        <source>单画面</source>
        <translation>Single</translation>
    </message>
    <message>
        <source>屏幕 {n}: {name} ({w}×{h})</source>
        <translation>Screen {n}: {name} ({w}×{h})</translation>
    </message>
    <message>
        <source>全屏显示到</source>
        <translation>Full Screen On</translation>
    </message>
    <message>
        <source>全屏显示到…</source>
        <translation>Full Screen On…</translation>
    </message>
</context>
</TS>
