/// The page's markup: sections the script fills from the `api/…` routes.
enum PageBody {
    static let html = #"""
        <header><h1>Ferry</h1>
        <span>Program <b id="program">…</b></span><span>Database <b id="database">…</b></span>
        <span>Health <span id="health" class="pill">…</span></span></header>
        <main>
        <section id="auth" class="wide hidden"><h2>Token</h2>
        <p class="muted">Paste the admin server's token (printed by <code>ferry serve</code> when it made it).</p>
        <div class="actions"><input id="token" type="password" autocomplete="off" size="40">
        <button id="save-token">Use token</button></div></section>
        <section><h2>Preflight</h2><table id="preflight"><thead><tr><th>Check</th><th>Status</th><th>Detail and advice</th></tr></thead><tbody></tbody></table></section>
        <section><h2>Pending plan</h2><p id="plan-summary" class="muted">…</p><ol id="plan"></ol></section>
        <section class="wide"><h2>Upgrade</h2>
        <div class="actions"><button id="rehearse">Rehearse on a copy</button>
        <input id="upgrade-confirm" placeholder="type upgrade" autocomplete="off" size="14">
        <button id="upgrade" class="danger">Upgrade</button></div>
        <pre id="log"></pre><div id="banner" class="hidden"></div></section>
        <section class="wide"><h2>Backups</h2>
        <div class="actions"><button id="backup">Make a backup</button>
        <input id="restore-confirm" placeholder="type restore to enable Restore" autocomplete="off" size="28"></div>
        <table id="backups"><thead><tr><th>Backup</th><th>Kind</th><th>Release</th><th>Created</th><th></th></tr></thead><tbody></tbody></table></section>
        <section class="wide"><h2>Durations of upgrades and backups</h2><div id="chart" class="muted">No upgrade or backup yet.</div></section>
        </main>
        """#
}
