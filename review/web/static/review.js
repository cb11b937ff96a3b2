// flopmine review: one keystroke per decision. Plain JS, no build step.
// All text from the server is inserted with textContent, never as HTML.
"use strict";

(function () {
  const item = document.getElementById("item");
  const statusEl = document.getElementById("status");
  const problemsEl = document.getElementById("problems");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let busy = false;

  // Place the evidence box (percentages of the page, so it follows the image at any size).
  const box = document.getElementById("box");
  const pageImg = document.getElementById("page");
  if (box) {
    for (const k of ["left", "top", "width", "height"]) {
      box.style[k] = box.dataset[k] + "%";
    }
    // Once the image has its height, scroll the page view so that the box is in the middle.
    const centre = function () {
      const view = box.closest(".pagescroll");
      if (view) view.scrollTop = Math.max(0, box.offsetTop + box.offsetHeight / 2 - view.clientHeight / 2);
    };
    if (pageImg && !pageImg.complete) pageImg.addEventListener("load", centre);
    else centre();
  }

  function say(message, kind) {
    statusEl.textContent = message;
    statusEl.className = kind || "";
  }

  function showProblems(list) {
    if (!problemsEl) { say(list.join("; "), "error"); return; }
    problemsEl.replaceChildren();
    for (const p of list) {
      const li = document.createElement("li");
      li.textContent = p;
      problemsEl.appendChild(li);
    }
  }

  async function post(url, body) {
    const resp = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { data = { error: "HTTP " + resp.status }; }
    return { status: resp.status, data: data };
  }

  function go(candidateId) {
    window.location.assign(candidateId ? "/?at=" + encodeURIComponent(candidateId) : "/");
  }

  async function decide(decision, correctedValue) {
    if (busy || !item) return;
    busy = true;
    say("saving " + decision + " …", "busy");
    try {
      const body = {
        candidate_id: item.dataset.candidateId,
        decision: decision,
        expected: item.dataset.decision || "",
      };
      if (correctedValue !== undefined) body.corrected_value = correctedValue;
      // the fact keeps the model shown (its retarget or rename); a reject never moves it
      if (decision !== "reject" && modelInput) body.model = modelInput.value;
      const r = await post("/api/decide", body);
      if (r.status === 200) {
        item.dataset.decision = r.data.decision;
        const p = r.data.progress;  // null while a large store is still being counted
        say("saved: " + r.data.decision + (p ? " (" + p.decided + " / " + p.total + ")" : ""), "ok");
        go(r.data.next);
        return;
      }
      if (r.data.problems) {
        showProblems(r.data.problems);
        say("not saved: fix the value and try again", "error");
      } else {
        say("not saved: " + (r.data.error || "HTTP " + r.status), "error");
      }
    } catch (e) {
      say("not saved: the server did not answer (" + e + ")", "error");
    }
    busy = false;
  }

  async function undo() {
    if (busy) return;
    busy = true;
    say("undoing …", "busy");
    try {
      const r = await post("/api/undo", {});
      if (r.status === 200) {
        say(r.data.rename ? "rename undone"
          : r.data.reopened ? "undone: " + r.data.reopened + " candidate(s) pending again" : "undone", "ok");
        go(r.data.candidate_id);
        return;
      }
      say("cannot undo: " + (r.data.error || "HTTP " + r.status), "error");
    } catch (e) {
      say("cannot undo: the server did not answer (" + e + ")", "error");
    }
    busy = false;
  }

  async function closeField() {
    if (busy || !item) return;
    busy = true;
    say("closing " + item.dataset.field + " for this paper …", "busy");
    try {
      const r = await post("/api/close", { candidate_id: item.dataset.candidateId });
      if (r.status === 200) {
        say("closed: " + r.data.closed + " candidate(s) rejected as not reported", "ok");
        go(r.data.next);
        return;
      }
      if (r.data.problems) showProblems(r.data.problems);
      say("not closed: " + (r.data.error || "HTTP " + r.status), "error");
    } catch (e) {
      say("not closed: the server did not answer (" + e + ")", "error");
    }
    busy = false;
  }

  function next(slot) {
    const target = item && (slot ? item.dataset.nextSlotId : item.dataset.nextId);
    if (target) go(target);
    else say(slot ? "no other undecided slot" : "no other pending candidate", "ok");
  }

  const form = document.getElementById("correct-form");
  const input = document.getElementById("correct-input");
  const modelForm = document.getElementById("model-form");
  const modelInput = document.getElementById("model-input");
  const addForm = document.getElementById("add-form");

  async function renameModel() {
    if (busy || !item || !modelInput) return;
    busy = true;
    say("renaming in the whole paper …", "busy");
    try {
      const r = await post("/api/rename", { candidate_id: item.dataset.candidateId, model: modelInput.value });
      if (r.status === 200) {
        say(r.data.withdrawn ? "rename withdrawn" : "renamed " + r.data.old + " → " + r.data.model, "ok");
        go(item.dataset.candidateId);
        return;
      }
      if (r.data.problems) showProblems(r.data.problems);
      say("not renamed: " + (r.data.error || "HTTP " + r.status), "error");
    } catch (e) {
      say("not renamed: the server did not answer (" + e + ")", "error");
    }
    busy = false;
  }

  async function addFact() {
    if (busy || !item || !addForm) return;
    busy = true;
    say("adding …", "busy");
    const body = { candidate_id: item.dataset.candidateId };
    for (const el of addForm.elements) if (el.name) body[el.name] = el.value;
    try {
      const r = await post("/api/add", body);
      if (r.status === 200) {
        say(r.data.added ? "added: " + r.data.field + (r.data.model ? " of " + r.data.model : "") : "already recorded", "ok");
        busy = false;
        return;
      }
      if (r.data.problems) showProblems(r.data.problems);
      say("not added: " + (r.data.error || "HTTP " + r.status), "error");
    } catch (e) {
      say("not added: the server did not answer (" + e + ")", "error");
    }
    busy = false;
  }

  if (modelForm) {
    modelForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      decide("correct", "");
    });
    modelInput.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { ev.preventDefault(); modelInput.blur(); }
      ev.stopPropagation(); // typing a name never triggers the single-key commands
    });
    const renameBtn = document.getElementById("btn-rename");
    if (renameBtn) renameBtn.addEventListener("click", function (ev) { ev.preventDefault(); renameModel(); });
  }
  if (addForm) {
    addForm.addEventListener("submit", function (ev) { ev.preventDefault(); addFact(); });
    for (const el of addForm.elements) el.addEventListener("keydown", function (ev) { ev.stopPropagation(); });
  }

  function openCorrect() {
    if (!form) return;
    form.hidden = false;
    input.focus();
    input.select();
  }

  function closeCorrect() {
    form.hidden = true;
    input.blur();
  }

  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      decide("correct", input.value);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { ev.preventDefault(); closeCorrect(); }
      ev.stopPropagation(); // typing a value never triggers the single-key commands
    });
  }

  // Every key action has a button (mouse, touch, screen readers); both run the same functions.
  const actions = {
    accept: function () { decide("accept"); },
    reject: function () { decide("reject"); },
    correct: openCorrect,
    next: function () { next(false); },
    "next-slot": function () { next(true); },
    close: closeField,
    undo: undo,
  };
  for (const b of document.querySelectorAll("button[data-action]")) {
    b.addEventListener("click", function (ev) {
      ev.preventDefault();
      const f = actions[b.dataset.action];
      if (f) f();
    });
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    const t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
    switch (ev.key.length === 1 ? ev.key.toLowerCase() : ev.key) { // Caps Lock does not matter
      case "a": ev.preventDefault(); decide("accept"); break;
      case "r": ev.preventDefault(); decide("reject"); break;
      case "c": ev.preventDefault(); openCorrect(); break;
      case "m": if (modelInput) { ev.preventDefault(); modelInput.focus(); modelInput.select(); } break;
      case "n": ev.preventDefault(); next(false); break;
      case "s": ev.preventDefault(); next(true); break;
      case "x": ev.preventDefault(); closeField(); break;
      case "u": ev.preventDefault(); undo(); break;
      default: break;
    }
  });
})();
