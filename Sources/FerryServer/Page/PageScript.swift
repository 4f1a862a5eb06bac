/// The page's script: reads the `api/…` routes with the token, follows an
/// operation's server-sent events into the log, and ends on a banner.
enum PageScript {
    static let javascript = #"""
        "use strict";
        const base = location.pathname.replace(/\/?$/, "/");
        const $ = (id) => document.getElementById(id);
        let token = sessionStorage.getItem("ferry-token") || "";
        if (location.hash.startsWith("#token=")) {
          token = decodeURIComponent(location.hash.slice(7));
          sessionStorage.setItem("ferry-token", token);
          history.replaceState(null, "", location.pathname);
        }
        function el(tag, text, cls) {
          const e = document.createElement(tag);
          if (text !== undefined && text !== null) e.textContent = String(text);
          if (cls) e.className = cls;
          return e;
        }
        async function api(path, options) {
          const o = Object.assign({}, options || {});
          o.headers = Object.assign({ Authorization: "Bearer " + token }, o.headers || {});
          const r = await fetch(base + path, o);
          if (r.status === 401) { $("auth").classList.remove("hidden"); throw new Error("unauthorized"); }
          return r;
        }
        async function loadHealth() {
          const r = await fetch(base + "health");
          const h = await r.json();
          $("program").textContent = h.version || "none";
          $("database").textContent = h.releaseId || "none";
          const p = $("health"); p.textContent = h.status; p.className = "pill " + h.status;
          p.title = h.description;
        }
        async function loadPreflight() {
          const body = $("preflight").tBodies[0];
          const j = await (await api("api/check")).json();
          body.replaceChildren();
          for (const c of j.checks || []) {
            const tr = el("tr");
            tr.append(el("td", c.name));
            const td = el("td"); td.append(el("span", c.status, "pill " + c.status)); tr.append(td);
            tr.append(el("td", c.detail));
            tr.dataset.status = c.status;
            body.append(tr);
          }
          if (j.error) {
            const tr = el("tr", null, "refusal");
            tr.append(el("td", "upgrade"));
            const td = el("td"); td.append(el("span", "blocker", "pill blocker")); tr.append(td);
            tr.append(el("td", j.error.message + (j.error.advice ? " " + j.error.advice : "")));
            body.append(tr);
          }
        }
        async function loadPlan() {
          const j = await (await api("api/plan")).json();
          const list = $("plan"); list.replaceChildren();
          if (j.ok === false && !j.pending) { $("plan-summary").textContent = j.error.message; return; }
          for (const id of j.pending || []) list.append(el("li", id));
          $("plan-summary").textContent = j.upToDate ? "Up to date: nothing is pending."
            : (j.pending.length + " migration(s) pending, " + (j.from || "none") + " → " + j.to + ".")
              + (j.error ? " " + j.error.message : "");
        }
        async function loadBackups() {
          const body = $("backups").tBodies[0];
          const j = await (await api("api/backups")).json();
          body.replaceChildren();
          for (const b of j.backups || []) {
            const tr = el("tr");
            tr.append(el("td", b.backup), el("td", b.kind), el("td", b.release || "none"), el("td", b.created));
            const td = el("td");
            const down = el("button", "Download"); down.addEventListener("click", () => download(b.backup));
            const rest = el("button", "Restore", "danger restore");
            rest.addEventListener("click", () => restore(b.backup));
            td.append(down, " ", rest); tr.append(td); body.append(tr);
          }
          if (!(j.backups || []).length) {
            const tr = el("tr"); const td = el("td", "No backup yet.", "muted"); td.colSpan = 5;
            tr.append(td); body.append(tr);
          }
        }
        async function loadChart() {
          const [history, catalog] = await Promise.all([
            api("api/history").then((r) => r.json()), api("api/backups").then((r) => r.json())]);
          const bars = [];
          // Migrations applied within a minute of each other are one upgrade.
          for (const m of (history.migrations || []).filter((m) => m.appliedAt)) {
            const t = Date.parse(m.appliedAt);
            const last = bars.filter((b) => b.kind === "upgrade").pop();
            if (last && Math.abs(t - last.at) < 60000) { last.seconds += m.duration || 0; last.label = m.release; }
            else bars.push({ kind: "upgrade", at: t, seconds: m.duration || 0, label: m.release });
          }
          // A backup's manifest says when it started and when it was checked: its duration.
          for (const b of catalog.backups || []) {
            if (!b.verified) continue;
            const at = Date.parse(b.created);
            bars.push({ kind: "backup", at, seconds: Math.max(0, (Date.parse(b.verified) - at) / 1000),
              label: b.kind });
          }
          bars.sort((a, b) => a.at - b.at);
          const shown = bars.slice(-16);
          const chart = $("chart");
          if (!shown.length) { chart.textContent = "No upgrade or backup yet."; return; }
          const ns = "http://www.w3.org/2000/svg";
          const width = 320, height = 100, top = 14, max = Math.max(...shown.map((g) => g.seconds), 0.001);
          const svg = document.createElementNS(ns, "svg");
          svg.setAttribute("viewBox", "0 0 " + width + " " + (top + height + 32));
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", "Duration of each upgrade and backup, in seconds");
          const step = Math.min(48, (width - 10) / shown.length), bar = step - 6;
          const text = (x, y, value) => {
            const t = document.createElementNS(ns, "text");
            t.setAttribute("x", x); t.setAttribute("y", y); t.textContent = value; svg.append(t);
          };
          shown.forEach((g, i) => {
            const h = Math.max(1, (g.seconds / max) * height), x = 5 + i * step;
            const r = document.createElementNS(ns, "rect");
            r.setAttribute("x", x); r.setAttribute("y", top + height - h);
            r.setAttribute("width", bar); r.setAttribute("height", h); r.setAttribute("class", g.kind);
            const title = document.createElementNS(ns, "title");
            title.textContent = g.kind + " " + g.label + " on " + new Date(g.at).toISOString() + ": "
              + g.seconds.toFixed(3) + " s";
            r.append(title); svg.append(r);
            text(x, top + height - h - 3, g.seconds.toFixed(2) + " s");
            text(x, top + height + 12, g.label);
          });
          text(5, top + height + 26, "blue: upgrades (to release) · green: backups (kind)");
          chart.replaceChildren(svg);
        }
        function refresh() {
          return Promise.allSettled([loadHealth(), loadPreflight(), loadPlan(), loadBackups(), loadChart()]);
        }
        function setBusy(busy) {
          for (const b of document.querySelectorAll("button")) if (b.id !== "save-token") b.disabled = busy;
        }
        function banner(ok, text, advice) {
          const b = $("banner");
          b.className = ok ? "success" : "error";
          b.replaceChildren(el("span", text));
          if (advice) b.append(el("span", advice, "advice"));
        }
        async function follow(path, body) {
          setBusy(true);
          $("log").textContent = ""; $("banner").className = "hidden";
          let failure = null;
          try {
            const r = await api(path, { method: "POST", headers: { "Content-Type": "application/json" },
              body: JSON.stringify(body || {}) });
            const started = await r.json();
            if (!r.ok) { failure = started.error; return banner(false, failure.message, failure.advice); }
            const stream = await api(started.events);
            const reader = stream.body.getReader();
            const decoder = new TextDecoder();
            let buffer = "", ended = false;
            while (!ended) {
              const { value, done } = await reader.read();
              if (done) break;
              buffer += decoder.decode(value, { stream: true });
              let cut;
              while ((cut = buffer.indexOf("\n\n")) >= 0) {
                const frame = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
                const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
                if (!data) continue;
                const e = JSON.parse(data);
                if (e.event === "end") {
                  ended = true;
                  $("log").textContent += e.marker + "\n";
                  if (e.ok) banner(true, e.marker);
                  else banner(false, e.marker + " " + (failure ? failure.message : ""), failure && failure.advice);
                } else if (e.command !== undefined) {
                  if (e.ok === false && e.error) failure = e.error;
                  $("log").textContent += e.ok ? "Done.\n" : "Error: " + e.error.message + "\n";
                } else if (e.message) {
                  $("log").textContent += e.message + "\n";
                }
                $("log").scrollTop = $("log").scrollHeight;
              }
            }
            if (!ended) banner(false, "The event stream ended without its end event: look at the status.");
          } catch (error) {
            banner(false, "The request failed: " + error.message);
          } finally {
            setBusy(false);
            refresh();
          }
        }
        async function download(name) {
          const r = await api("api/backups/" + encodeURIComponent(name) + "/download");
          if (!r.ok) return banner(false, "Download failed (" + r.status + ").");
          const a = el("a"); a.href = URL.createObjectURL(await r.blob()); a.download = name;
          document.body.append(a); a.click(); a.remove();
        }
        function restore(name) {
          if ($("restore-confirm").value.trim() !== "restore") {
            return banner(false, "Type restore in the box beside 'Make a backup' to restore " + name + ".");
          }
          $("restore-confirm").value = "";
          follow("api/backups/" + encodeURIComponent(name) + "/restore", { confirmation: "restore" });
        }
        $("rehearse").addEventListener("click", () => follow("api/rehearsal", {}));
        $("upgrade").addEventListener("click", () => {
          const typed = $("upgrade-confirm").value.trim(); $("upgrade-confirm").value = "";
          follow("api/upgrade", { confirmation: typed });
        });
        $("backup").addEventListener("click", () => follow("api/backups", {}));
        $("save-token").addEventListener("click", () => {
          token = $("token").value.trim(); sessionStorage.setItem("ferry-token", token);
          $("auth").classList.add("hidden"); refresh();
        });
        if (!token) $("auth").classList.remove("hidden");
        refresh();
        """#
}
