/// The page's style sheet: one column on a phone, two on a wide screen.
enum PageStyle {
    static let css = #"""
        :root{--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--line:#d0d7de;--muted:#57606a;
        font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#f6f8fa}
        body{margin:0}
        header{background:#24292f;color:#fff;padding:12px 16px;display:flex;flex-wrap:wrap;gap:8px 24px;align-items:center}
        header h1{font-size:1.2rem;margin:0}
        .pill{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;background:#57606a;color:#fff}
        .pill.pass,.pill.ok{background:var(--ok)}.pill.warn,.pill.warning{background:var(--warn)}
        .pill.fail,.pill.blocker{background:var(--bad)}
        main{display:grid;grid-template-columns:1fr 1fr;gap:16px;padding:16px;max-width:1200px;margin:0 auto}
        section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 16px;min-width:0}
        section.wide{grid-column:1/-1}
        h2{font-size:1rem;margin:0 0 8px}
        table{border-collapse:collapse;width:100%;font-size:.9rem}
        td,th{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
        td:last-child{overflow-wrap:anywhere}
        .pill{white-space:nowrap}
        button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid var(--line);background:#f6f8fa;cursor:pointer}
        button.danger{border-color:var(--bad);color:var(--bad)}
        button:disabled{opacity:.5;cursor:default}
        input{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px}
        .actions{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
        pre#log{background:#0d1117;color:#e6edf3;padding:8px;border-radius:6px;max-height:320px;overflow:auto;
        white-space:pre-wrap;font-size:.8rem;min-height:3em}
        #banner{padding:10px 14px;border-radius:6px;font-weight:600;margin-top:8px}
        #banner.success{background:#dafbe1;color:var(--ok);border:1px solid var(--ok)}
        #banner.error{background:#ffebe9;color:var(--bad);border:1px solid var(--bad)}
        #banner .advice{font-weight:400;display:block;margin-top:4px}
        .muted{color:var(--muted)}.hidden{display:none}
        #plan{overflow-wrap:anywhere;padding-left:1.4em}
        #chart svg{display:block;width:100%;max-width:520px;height:auto}
        svg text{font-size:9px;fill:#57606a}svg rect.upgrade{fill:#0969da}svg rect.backup{fill:#1a7f37}
        @media (max-width:600px){main{grid-template-columns:1fr;padding:8px}header{padding:10px}}
        """#
}
