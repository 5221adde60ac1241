// The folkrnn web composer's page: every action is a call to the JSON API (README "Web composer").
"use strict";

const $ = (id) => document.getElementById(id);
const state = { tune: null, visual: null, timer: null, selected: [], history: [] };

async function api(path, body, method) {
  const init = body === undefined ? { method: method || "GET" } :
    { method: method || "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function say(text, bad) {
  $("status").textContent = text;
  $("status").className = bad ? "note bad" : "note";
}

function settings() {
  const f = $("settings");
  const out = {};
  for (const name of ["model", "meter", "mode", "key", "rhythm", "title", "form", "prime"]) {
    const v = f.elements[name].value.trim();
    if (v) out[name] = v;
  }
  out.temperature = Number($("temperature").value) || 1;
  out.top_k = Number($("top_k").value) || 0;
  out.top_p = Number($("top_p").value) || 1;
  const search = $("search").value;
  if (search === "greedy") out.greedy = true;
  if (search === "beam") out.beam = 8;
  if ($("seed-lock").checked && $("seed").value !== "") out.seed = Number($("seed").value);
  return out;
}

async function loadOptions() {
  const o = await api("/api/options");
  const fill = (id, values) => { for (const v of values) $(id).add(new Option(v, v)); };
  fill("model", o.models); fill("meter", o.meters); fill("mode", o.modes);
  fill("rhythm", o.rhythms); fill("form", o.forms);
}

// ------------------------------------------------------------------ composing
async function compose(event) {
  event.preventDefault();
  const body = settings();
  say("composing…");
  $("stream").textContent = "";
  $("compose").disabled = true;
  try {
    const res = await fetch("/api/generate?stream=1", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) {
      const answer = await res.json().catch(() => ({ error: `the server answered ${res.status}` }));
      throw new Error(answer.error);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", done = null;
    while (done === null) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        const kind = /event: (\w+)/.exec(event)[1];
        const data = JSON.parse(event.slice(event.indexOf("data: ") + 6));
        if (kind === "token" && data.tune === 0) $("stream").textContent += data.token;
        else if (kind === "error") throw new Error(data.error);
        else if (kind === "done") done = data;
      }
    }
    if (!done) throw new Error("the stream ended before the tune");
    $("seed").value = done.seed;
    show(done);
    say(`composed (seed ${done.seed})`);
  } catch (err) {
    say(err.message, true);
  } finally {
    $("compose").disabled = false;
  }
}

function show(tune) {
  stop();
  state.tune = tune;
  state.selected = [];
  $("stream").textContent = "";
  $("tune-title").textContent = tune.title || "";
  $("abc").value = tune.abc;
  // N: lines (provenance) become comments of the same length: the notation leaves them out
  // and the characters keep their places, which the bar map (tune.bars) counts in
  const shown = tune.abc.replace(/^N:/gm, "%:");
  state.visual = ABCJS.renderAbc("notation", shown, {
    responsive: "resize", add_classes: true, clickListener: clicked })[0];
  drawBars();
  for (const id of ["play", "transpose", "undo"]) $(id).disabled = false;
  $("undo").disabled = !tune.parent;
  $("audio").src = "";
  const links = ["abc", "mid", "wav", "svg"].map((f) =>
    `<a href="/api/tunes/${tune.id}.${f}" download data-testid="download-${f}">${f.toUpperCase()}</a>`);
  $("downloads").innerHTML = "Download: " + links.join(" ");
  refreshHistory().catch((err) => say(err.message, true));
  refreshBook().catch((err) => say(err.message, true));
}

function drawBars() {
  const box = $("bars");
  box.textContent = "";
  for (const [number] of state.tune.bars || []) {
    const b = document.createElement("button");
    b.textContent = number;
    b.title = `re-roll bar ${number}`;
    b.dataset.testid = "reroll";
    b.setAttribute("data-testid", "reroll");
    b.dataset.bar = number;
    b.className = state.selected.includes(number) ? "selected" : "";
    // press a bar's number to re-roll it; drag over numbers (or shift-click) to choose bars
    b.addEventListener("pointerdown", () => { state.dragFrom = number; });
    b.addEventListener("pointerenter", () => {
      if (state.dragFrom !== undefined && state.dragFrom !== number) {
        state.selected = [state.dragFrom]; select(number, true);
      }
    });
    b.addEventListener("pointerup", (e) => {
      const from = state.dragFrom;
      state.dragFrom = undefined;
      if (e.shiftKey) select(number, true);
      else if (from === number) reroll([number]);
    });
    box.appendChild(b);
  }
  $("reroll-selected").disabled = state.selected.length === 0;
  $("continue").disabled = state.selected.length === 0;
}

function barAt(char) {
  const hit = (state.tune.bars || []).find(([, lo, hi]) => char >= lo && char <= hi);
  return hit ? hit[0] : null;
}

function clicked(abcElem, tuneNumber, classes, analysis, drag, mouseEvent) {
  const bar = barAt(abcElem.startChar);
  if (bar !== null) select(bar, mouseEvent && mouseEvent.shiftKey);
}

function select(bar, extend) {
  if (extend && state.selected.length) {
    const lo = Math.min(state.selected[0], bar), hi = Math.max(state.selected[0], bar);
    state.selected = [];
    for (let k = lo; k <= hi; k++) state.selected.push(k);
  } else {
    state.selected = [bar];
  }
  drawBars();
}

async function operate(path, body, label) {
  say(label + "…");
  try {
    const tune = await api(path, body);
    show(tune);
    say(label + " done");
    return tune;
  } catch (err) {
    say(err.message, true);
  }
}

function reroll(bars) {
  const lo = Math.min(...bars), hi = Math.max(...bars);
  const body = { id: state.tune.id, bars: `${lo}-${hi}`, candidates: 8, ...sampling() };
  return operate("/api/reroll", body, `re-rolling bar${lo === hi ? "" : "s"} ${lo === hi ? lo : lo + "–" + hi}`);
}

function sampling() {
  const s = settings();
  const out = { temperature: s.temperature, top_k: s.top_k, top_p: s.top_p };
  if (s.model) out.model = s.model;
  if (s.seed !== undefined) out.seed = s.seed;
  return out;
}

async function vary() {
  const knob = $("vary-knob").value;
  const values = $("vary-values").value.split(",").map((v) => v.trim()).filter(Boolean)
    .map((v) => ["temperature", "top_p"].includes(knob) ? Number(v) : knob === "top_k" ? parseInt(v, 10) : v);
  const body = { ...settings(), knob, values };
  say("varying…");
  try {
    const res = await api("/api/vary", body);
    $("variants").textContent = "";
    res.tunes.forEach((t) => {
      const b = document.createElement("button");
      b.textContent = `${knob} ${t.operation.value}: ${t.title}`;
      b.addEventListener("click", () => show(t));
      $("variants").appendChild(b);
    });
    show(res.tunes[0]);
    say(`${res.tunes.length} variants`);
  } catch (err) { say(err.message, true); }
}

// ------------------------------------------------------------------ playing
function play() {
  const audio = $("audio");
  if (!audio.paused) { audio.pause(); return; }
  const q = new URLSearchParams({ instrument: $("instrument").value });
  if ($("tempo").value) q.set("tempo", $("tempo").value);
  const src = `/api/tunes/${state.tune.id}.wav?${q}`;
  if (!audio.src.endsWith(src)) audio.src = src;
  audio.loop = $("loop").checked;
  audio.play().catch((err) => say(err.message, true));
}

function cursor() {
  // abcjs's timer moves the cursor; the audio element is the clock it follows
  const audio = $("audio");
  if (!state.visual) return;
  if (!state.timer) {
    const qpm = Number($("tempo").value) || undefined;
    state.timer = new ABCJS.TimingCallbacks(state.visual, {
      qpm, eventCallback: (ev) => {
        for (const el of document.querySelectorAll(".playing")) el.classList.remove("playing");
        if (!ev) return undefined;
        for (const group of ev.elements || []) for (const el of group) el.classList.add("playing");
        return undefined;
      } });
  }
  state.timer.start(audio.currentTime, "seconds");
}

function follow() {
  // re-align the cursor when it drifts from the sound (swung hornpipes, a loop, a seek)
  const audio = $("audio");
  if (!state.timer || audio.paused) return;
  if (Math.abs(state.timer.currentMillisecond() / 1000 - audio.currentTime) > 0.12) {
    state.timer.setProgress(audio.currentTime, "seconds");
  }
}

function pauseCursor() {
  if (state.timer) state.timer.pause();
}

function stop() {
  if (state.timer) { state.timer.stop(); state.timer = null; }
  for (const el of document.querySelectorAll(".playing")) el.classList.remove("playing");
}

// ------------------------------------------------------------------ versions and the book
async function refreshHistory() {
  const t = await api(`/api/tunes/${state.tune.id}`);
  const list = $("history");
  list.textContent = "";
  for (const h of t.history) {
    const li = document.createElement("li");
    const bars = String(h.settings.bars || "").replace(/^(\d+)-\1$/, "$1");
    const what = h.op === "reroll" ? `re-rolled bar${bars.includes("-") ? "s" : ""} ${bars}` :
      h.op === "continue" ? `continued after bar ${h.settings.bars}` :
      h.op === "transpose" ? `transposed to ${h.settings.key}` : `${h.op}, seed ${h.settings.seed}`;
    li.textContent = `#${h.id} ${what}`;
    if (h.id === state.tune.id) li.className = "current";
    li.addEventListener("click", () => open(h.id).catch((err) => say(err.message, true)));
    list.appendChild(li);
  }
}

async function open(id) {
  const t = await api(`/api/tunes/${id}`);
  show(t);
}

async function refreshBook() {
  const res = await api("/api/tunes");
  const list = $("book");
  list.textContent = "";
  for (const t of res.tunes.slice(0, 50)) {
    const li = document.createElement("li");
    const keep = document.createElement("input");
    keep.type = "checkbox"; keep.checked = t.kept; keep.title = "keep";
    keep.addEventListener("change", () => api(`/api/tunes/${t.id}`, { kept: keep.checked }, "PATCH")
      .catch((err) => { keep.checked = !keep.checked; say(err.message, true); }));
    const name = document.createElement("span");
    name.textContent = ` #${t.id} ${t.title}`;
    name.addEventListener("click", () => open(t.id).catch((err) => say(err.message, true)));
    name.addEventListener("dblclick", async () => {
      const title = prompt("New title", t.title);
      if (title) {
        await api(`/api/tunes/${t.id}`, { title }, "PATCH").catch((err) => say(err.message, true));
        refreshBook().catch((err) => say(err.message, true));
      }
    });
    const drop = document.createElement("button");
    drop.textContent = "×"; drop.title = "discard"; drop.setAttribute("data-testid", "discard");
    drop.addEventListener("click", () => api(`/api/tunes/${t.id}`, undefined, "DELETE")
      .then(refreshBook).catch((err) => say(err.message, true)));
    li.append(keep, name, " ", drop);
    list.appendChild(li);
  }
}

// ------------------------------------------------------------------ the prime, checked as typed
let primeTimer = null;
function checkPrime() {
  clearTimeout(primeTimer);
  primeTimer = setTimeout(async () => {
    const s = settings();
    if (!s.prime) { $("prime-check").textContent = ""; return; }
    const r = await api("/api/check-prime", { prime: s.prime, key: s.key, mode: s.mode, meter: s.meter, model: s.model })
      .catch((err) => ({ ok: false, error: err.message }));
    $("prime-check").textContent = r.ok ? "✓" : r.error;
    $("prime-check").className = r.ok ? "note" : "note bad";
  }, 300);
}

document.addEventListener("DOMContentLoaded", () => {
  loadOptions().catch((err) => say(err.message, true));
  $("settings").addEventListener("submit", compose);
  $("play").addEventListener("click", play);
  $("audio").addEventListener("play", cursor);
  $("audio").addEventListener("pause", pauseCursor);
  $("audio").addEventListener("timeupdate", follow);
  $("tempo").addEventListener("change", stop);
  $("audio").addEventListener("ended", stop);
  $("reroll-selected").addEventListener("click", () => reroll(state.selected));
  $("continue").addEventListener("click", () => operate("/api/continue",
    { id: state.tune.id, bars: Math.max(...state.selected), ...sampling() }, "continuing"));
  $("undo").addEventListener("click", () => state.tune.parent &&
    open(state.tune.parent).catch((err) => say(err.message, true)));
  $("transpose").addEventListener("click", () => operate("/api/transpose",
    { id: state.tune.id, key: $("transpose-key").value.trim() }, "transposing"));
  $("vary").addEventListener("click", vary);
  for (const id of ["prime", "key", "mode", "meter"]) $(id).addEventListener("input", checkPrime);
  document.addEventListener("pointerup", () => setTimeout(() => { state.dragFrom = undefined; }));
  refreshBook().catch(() => {});
});
