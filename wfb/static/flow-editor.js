// The flow editor: the draft drawn on a Drawflow canvas and checked as it is edited.
//
// The draft (name, trigger, nodes) lives here; edges are read off the canvas's
// connections, each output of a node standing for one of its exits (a button, a
// branch, "fallback"). The side panel's forms are the server's: they turn a node's
// fields into its data, which this script puts back on the canvas. Every change is
// checked with POST /flows/validate, the rules saving applies, and the problems are
// drawn on the nodes they name.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("editor-config").textContent);
  const urls = config.urls;
  const kinds = config.kinds;
  const CHECK_DELAY_MS = 250;
  const NODE_PROBLEMS_SHOWN = 3;
  const SINGLE_EXIT = ["start", "message", "set", "assign", "template", "delay"];
  const OPERATORS = {
    eq: "=", ne: "≠", contains: "contains", gt: ">", lt: "<",
    exists: "has a value", matches: "matches",
  };
  const OPEN_STATUSES = ["running", "waiting", "delayed"];

  const draft = { name: config.flow.name, trigger: config.flow.trigger };
  const nodes = new Map();      // node id -> node {id, type, position, data}
  const nodeIds = new Map();    // Drawflow id -> node id
  const drawflowIds = new Map(); // node id -> Drawflow id
  let strays = [];               // edges the canvas cannot draw, kept as they are
  let status = { version: config.flow.version, changed: config.flow.draft_changed };
  let editor = null;
  let quiet = 0;                 // above 0 while this script changes the canvas itself
  let saved = "";                // the structure as last saved, as JSON
  let problems = [];
  let selected = null;
  let checkTimer = null;
  let checkRound = 0;
  let overlay = null;            // the drop-off counts on show

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  function escape(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  }

  function clip(text, length) {
    text = String(text == null ? "" : text).trim();
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  // JSON with the keys of every object in order: the server sorts them, the draft
  // keeps them as they came, and the two must compare equal.
  function canonical(value) {
    return JSON.stringify(value, (key, item) => item && typeof item === "object" &&
      !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(
        ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : item);
  }

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split("; ")) {
      if (part.startsWith(prefix)) return decodeURIComponent(part.slice(prefix.length));
    }
    return "";
  }

  // The flows API, with the session cookie and its CSRF twin.
  async function api(method, url, body) {
    const headers = { "X-CSRF-TOKEN": cookie("csrf_access_token") };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      return { ok: false, status: 0, body: { message: "The server could not be reached." } };
    }
    if (response.status === 401) {
      window.location.reload();  // the session ended: the page sends to the login
    }
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    return { ok: response.ok, status: response.status, body: data };
  }

  // ---- Exits: the handles a node's edges leave from, as the validator sees them

  // One exit per button or row, even while its id is empty or taken twice: the
  // validator says what is wrong, and the edge stays on its exit as the id is typed.
  function itemIds(items) {
    return listed(items).map((item) =>
      item && typeof item === "object" && typeof item.id === "string" ? item.id : "");
  }

  function listRows(data) {
    return listed(data.sections).flatMap((section) => listed(section && section.rows));
  }

  function handlesOf(node) {
    const data = node.data || {};
    if (SINGLE_EXIT.includes(node.type)) return [null];
    if (node.type === "question") return [null, "fallback"];
    if (node.type === "buttons") return [...itemIds(data.buttons), "fallback"];
    if (node.type === "list") return [...itemIds(listRows(data)), "fallback"];
    if (node.type === "condition") return ["true", "false"];
    if (node.type === "webhook") return ["success", "error"];
    return [];
  }

  // An edge's handle as the node's exits name it: null for the single exit.
  function handleOf(edge) {
    return edge.source_handle == null ? null : edge.source_handle;
  }

  function handleLabel(node, handle) {
    if (handle === null) return node.type === "question" ? "Answer" : "Next";
    if (handle === "fallback") return "No match";
    const named = { true: "True", false: "False", success: "Success", error: "Error" };
    if (node.type === "condition" || node.type === "webhook") return named[handle];
    const items = node.type === "buttons" ? node.data.buttons : listRows(node.data);
    const item = listed(items).find((found) => found && found.id === handle);
    return (item && item.title) || handle;
  }

  // ---- How a node reads on the canvas

  function triggerSummary(trigger) {
    trigger = trigger || {};
    if (trigger.type === "any") return "Starts on any message that no other flow takes.";
    if (trigger.type === "manual") return "Started by a campaign reply or the API.";
    const words = listed(trigger.keywords).map((word) => "“" + word + "”").join(", ");
    const how = { exact: "", contains: " anywhere in a message", regex: " as a regex" };
    return words ? "Starts on " + words + (how[trigger.match] || "") + "." : "";
  }

  function duration(seconds) {
    if (typeof seconds !== "number") return "";
    if (seconds % 3600 === 0) return "Waits " + seconds / 3600 + " h";
    if (seconds % 60 === 0) return "Waits " + seconds / 60 + " min";
    return "Waits " + seconds + " s";
  }

  function pairs(prefix, values) {
    const entries = values && typeof values === "object" ? Object.entries(values) : [];
    return entries.map(([key, value]) => prefix + key + " = " + value);
  }

  function listed(values) {
    return Array.isArray(values) ? values : [];
  }

  function summaryOf(node) {
    const d = node.data || {};
    switch (node.type) {
      case "start": return triggerSummary(draft.trigger);
      case "message": {
        const media = d.media && d.media.type ? "[" + d.media.type + "] " : "";
        return media + (d.text || (d.media && d.media.caption) || "");
      }
      case "buttons": case "question": return d.text || "";
      case "list": return d.text ? d.text + (d.button ? " · menu “" + d.button + "”" : "") : "";
      case "condition":
        if (!d.variable) return "";
        return [d.variable, OPERATORS[d.operator] || d.operator,
          d.operator === "exists" ? "" : JSON.stringify(d.value == null ? "" : d.value)]
          .join(" ").trim();
      case "set":
        return [...pairs("vars.", d.vars), ...pairs("", d.attributes),
          ...listed(d.add_tags).map((tag) => "+ tag " + tag),
          ...listed(d.remove_tags).map((tag) => "− tag " + tag)].join("; ");
      case "assign":
        if (d.strategy === "round_robin") return "The next person in turn";
        return d.member_id ? "To " + (config.members[d.member_id] || "person " + d.member_id) : "";
      case "ai_bot": return d.bot_id ? "Bot " + d.bot_id : "";
      case "webhook": return d.url ? (d.method || "POST") + " " + d.url : "";
      case "template": return d.name ? d.name + " · " + (d.language || "") : "";
      case "delay": return duration(d.seconds);
      case "end": return "Ends the flow.";
    }
    return "";
  }

  function nodeHtml(node) {
    const kind = kinds[node.type] || { label: node.type };
    const summary = summaryOf(node);
    const handles = handlesOf(node);
    const exits = handles.length > 1 || (handles.length === 1 && handles[0] !== null)
      ? '<ul class="fe-node-exits">' + handles.map((handle) =>
        '<li class="fe-exit-' + (handle === "fallback" ? "fallback" : "named") + '">' +
        escape(clip(handleLabel(node, handle), 28)) + "</li>").join("") + "</ul>"
      : "";
    return (
      '<div class="fe-node fe-kind-' + escape(node.type) + '">' +
      '<div class="fe-node-head"><span class="fe-icon" aria-hidden="true"></span>' +
      '<span class="fe-node-kind">' + escape(kind.label) + "</span>" +
      '<code class="fe-node-id">' + escape(node.id) + "</code></div>" +
      '<div class="fe-node-stats" hidden></div>' +
      (summary
        ? '<p class="fe-node-text">' + escape(clip(summary, 120)) + "</p>"
        : '<p class="fe-node-text fe-node-empty">' + escape(kind.summary || "") + "</p>") +
      '<ul class="fe-node-problems"></ul>' + exits + "</div>"
    );
  }

  // ---- The canvas

  function elementOf(nodeId) {
    const drawflowId = drawflowIds.get(nodeId);
    return drawflowId === undefined ? null : document.getElementById("node-" + drawflowId);
  }

  function silently(change) {
    quiet += 1;
    try { return change(); } finally { quiet -= 1; }
  }

  function addToCanvas(node) {
    const handles = handlesOf(node);
    const drawflowId = silently(() => editor.addNode(
      node.type, node.type === "start" ? 0 : 1, handles.length,
      node.position.x, node.position.y, "", { id: node.id }, nodeHtml(node)));
    nodeIds.set(String(drawflowId), node.id);
    drawflowIds.set(node.id, String(drawflowId));
    nodes.set(node.id, node);
    node.handles = handles;
    decorate(node);
  }

  // Labels and classes on the node's element that its HTML cannot carry.
  function decorate(node) {
    const element = elementOf(node.id);
    if (!element) return;
    element.dataset.nodeId = node.id;
    const branching = node.handles.some((handle) => handle !== null);
    element.classList.toggle("fe-branching", branching);
    $$(".outputs .output", element).forEach((output, index) => {
      output.title = handleLabel(node, node.handles[index]);
      output.dataset.handle = node.handles[index] === null ? "" : node.handles[index];
    });
    showNodeProblems(node.id);
    showNodeStats(node.id);
    element.classList.toggle("fe-selected", node.id === selected);
  }

  // Redraw a node after its data changed: its text, and its outputs when its exits
  // did (a button added or removed), keeping each edge on the exit it left from.
  function refreshNode(node) {
    const drawflowId = drawflowIds.get(node.id);
    const element = elementOf(node.id);
    if (!element) return;
    const before = node.handles;
    const after = handlesOf(node);
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      silently(() => setOutputs(drawflowId, before, after));
      node.handles = after;
    }
    $(".drawflow_content_node", element).innerHTML = nodeHtml(node);
    decorate(node);
  }

  // As many exits as before means one was renamed where it is (an id typed); else
  // one was added or removed, and the others keep their edges by name.
  function setOutputs(drawflowId, before, after) {
    const info = editor.getNodeFromId(drawflowId);
    const moves = [];
    before.forEach((handle, index) => {
      const output = info.outputs["output_" + (index + 1)];
      const target = before.length === after.length ? index : after.indexOf(handle);
      for (const connection of output ? output.connections : []) {
        editor.removeSingleConnection(drawflowId, connection.node, "output_" + (index + 1),
          connection.output);
        if (target !== -1) moves.push([connection.node, target, connection.output]);
      }
    });
    for (let count = before.length; count < after.length; count += 1) {
      editor.addNodeOutput(drawflowId);
    }
    for (let count = before.length; count > after.length; count -= 1) {
      editor.removeNodeOutput(drawflowId, "output_" + count);
    }
    for (const [targetId, index, input] of moves) {
      editor.addConnection(drawflowId, targetId, "output_" + (index + 1), input);
    }
  }

  function positionOf(nodeId) {
    const info = editor.getNodeFromId(drawflowIds.get(nodeId));
    return { x: Math.round(info.pos_x), y: Math.round(info.pos_y) };
  }

  // The draft as the API takes it: nodes in their order, edges off the canvas.
  function structure() {
    const outNodes = [];
    const edges = [];
    for (const node of nodes.values()) {
      const out = { id: node.id, type: node.type, position: positionOf(node.id) };
      if (node.data && Object.keys(node.data).length) out.data = node.data;
      outNodes.push(out);
      const info = editor.getNodeFromId(drawflowIds.get(node.id));
      node.handles.forEach((handle, index) => {
        const output = info.outputs["output_" + (index + 1)];
        for (const connection of output ? output.connections : []) {
          const edge = { source: node.id, target: nodeIds.get(String(connection.node)) };
          if (handle !== null) edge.source_handle = handle;
          edges.push(edge);
        }
      });
    }
    return { name: draft.name, trigger: draft.trigger, nodes: outNodes,
      edges: edges.concat(strays) };
  }

  // Nodes without a position are laid out in columns by their distance from start.
  function layOut(flowNodes, flowEdges) {
    const depth = new Map();
    const start = flowNodes.find((node) => node.type === "start");
    const queue = start ? [start.id] : [];
    if (start) depth.set(start.id, 0);
    while (queue.length) {
      const id = queue.shift();
      for (const edge of flowEdges) {
        if (edge.source === id && !depth.has(edge.target)) {
          depth.set(edge.target, depth.get(id) + 1);
          queue.push(edge.target);
        }
      }
    }
    const rows = new Map();
    const beyond = Math.max(0, ...depth.values()) + 1;
    for (const node of flowNodes) {
      const pos = node.position;
      if (pos && typeof pos.x === "number" && typeof pos.y === "number") continue;
      const column = depth.has(node.id) ? depth.get(node.id) : beyond;
      const row = rows.get(column) || 0;
      rows.set(column, row + 1);
      node.position = { x: 60 + column * 320, y: 60 + row * 220 };
    }
  }

  function load(flow) {
    silently(() => editor.clear());
    nodes.clear(); nodeIds.clear(); drawflowIds.clear();
    strays = [];
    draft.name = flow.name;
    draft.trigger = flow.trigger;
    const flowNodes = (flow.nodes || []).filter((node) =>
      node && typeof node.id === "string" && kinds[node.type]);
    const flowEdges = (flow.edges || []).filter((edge) => edge && typeof edge === "object");
    flowNodes.forEach((node) => { node.data = node.data || {}; });
    layOut(flowNodes, flowEdges);
    for (const node of flowNodes) {
      if (!nodes.has(node.id)) addToCanvas({ id: node.id, type: node.type,
        position: node.position, data: node.data });
    }
    for (const edge of flowEdges) drawEdge(edge);
    selected = null;
    $("#flow-name").textContent = draft.name;
    $("#canvas-hint").hidden = nodes.size > 1;
    saved = canonical(structure());
    fit();
  }

  function drawEdge(edge) {
    const source = nodes.get(edge.source);
    const target = nodes.get(edge.target);
    const index = source ? source.handles.indexOf(handleOf(edge)) : -1;
    if (!source || !target || index === -1 || target.type === "start") {
      strays.push(edge);
      return;
    }
    silently(() => editor.addConnection(drawflowIds.get(source.id), drawflowIds.get(target.id),
      "output_" + (index + 1), "input_1"));
  }

  function fit() {
    const container = $("#canvas");
    const elements = $$(".drawflow-node", container);
    if (!elements.length) return;
    let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    for (const node of nodes.values()) {
      const element = elementOf(node.id);
      const at = positionOf(node.id);
      left = Math.min(left, at.x); top = Math.min(top, at.y);
      right = Math.max(right, at.x + element.offsetWidth);
      bottom = Math.max(bottom, at.y + element.offsetHeight);
    }
    const pad = 48;
    const width = container.clientWidth, height = container.clientHeight;
    const zoom = Math.max(editor.zoom_min, Math.min(1,
      (width - 2 * pad) / (right - left), (height - 2 * pad) / (bottom - top)));
    // The canvas scales about its centre, so the translation is from the centre.
    editor.zoom = zoom;
    editor.zoom_last_value = zoom;
    editor.canvas_x = (width / 2 - (left + right) / 2) * zoom;
    editor.canvas_y = (height / 2 - (top + bottom) / 2) * zoom;
    editor.precanvas.style.transform =
      "translate(" + editor.canvas_x + "px, " + editor.canvas_y + "px) scale(" + zoom + ")";
  }

  // Move the canvas so that the node is in view, if it is not.
  function reveal(nodeId) {
    const element = elementOf(nodeId);
    if (!element) return;
    const view = $("#canvas").getBoundingClientRect();
    const box = element.getBoundingClientRect();
    if (box.left >= view.left && box.right <= view.right &&
        box.top >= view.top && box.bottom <= view.bottom) return;
    editor.canvas_x += view.left + view.width / 2 - (box.left + box.width / 2);
    editor.canvas_y += view.top + view.height / 2 - (box.top + box.height / 2);
    editor.precanvas.style.transform = "translate(" + editor.canvas_x + "px, " +
      editor.canvas_y + "px) scale(" + editor.zoom + ")";
  }

  function newId(type) {
    if (type === "start" && !nodes.has("start")) return "start";
    let number = 1;
    while (nodes.has(type + "_" + number)) number += 1;
    return type + "_" + number;
  }

  function addNode(type, x, y) {
    const node = {
      id: newId(type), type, position: { x: Math.round(x), y: Math.round(y) },
      data: JSON.parse(JSON.stringify(kinds[type].data || {})),
    };
    addToCanvas(node);
    $("#canvas-hint").hidden = true;
    changed();
    select(node.id);
    reveal(node.id);
  }

  // Right of the selected (or last) node, below whatever is there already.
  function freeSpot() {
    const after = selected || Array.from(nodes.keys()).pop();
    if (!after) {
      const box = $("#canvas").getBoundingClientRect();
      return canvasPoint(box.x + box.width / 3, box.y + box.height / 3);
    }
    const from = positionOf(after);
    const spot = { x: from.x + elementOf(after).offsetWidth + 80, y: from.y };
    const taken = () => Array.from(nodes.keys()).some((id) => {
      const at = positionOf(id);
      const element = elementOf(id);
      return spot.x < at.x + element.offsetWidth && at.x < spot.x + 250 &&
        spot.y < at.y + element.offsetHeight && at.y < spot.y + 120;
    });
    while (taken()) spot.y += 140;
    return spot;
  }

  // Where a point of the window falls on the zoomed and moved canvas.
  function canvasPoint(clientX, clientY) {
    const box = editor.precanvas.getBoundingClientRect();
    return { x: (clientX - box.x) / editor.zoom, y: (clientY - box.y) / editor.zoom };
  }

  // ---- Checking and the problems on show

  function changed() {
    showSaveState();
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, CHECK_DELAY_MS);
  }

  async function check() {
    const round = ++checkRound;
    const result = await api("POST", urls.validate, structure());
    if (round !== checkRound) return;  // a newer check is on its way
    if (result.ok) showProblems(result.body.problems);
  }

  function showProblems(found) {
    problems = found || [];
    for (const id of nodes.keys()) showNodeProblems(id);
    const box = $("#problems");
    const list = $("#problems-list");
    box.hidden = !problems.length;
    $("#problems-title").textContent = problems.length === 1
      ? "1 problem to fix before saving"
      : problems.length + " problems to fix before saving";
    list.replaceChildren(...problems.map((problem) => {
      const item = document.createElement("li");
      if (problem.node && nodes.has(problem.node)) {
        const link = document.createElement("a");
        link.href = "#";
        link.className = "fe-problem-link";
        link.dataset.node = problem.node;
        link.textContent = problem.message;
        item.append(link);
      } else {
        item.textContent = problem.message;
      }
      return item;
    }));
    showSelectedChecks();
    showFlowChecks();
  }

  function problemsOf(nodeId) {
    return problems.filter((problem) => problem.node === nodeId);
  }

  function showNodeProblems(nodeId) {
    const element = elementOf(nodeId);
    if (!element) return;
    const found = problemsOf(nodeId);
    element.classList.toggle("fe-has-problem", found.length > 0);
    // A few on the node keep the canvas readable; the panel and the list show all.
    const shown = found.slice(0, NODE_PROBLEMS_SHOWN).map((problem) => problem.message);
    if (found.length > NODE_PROBLEMS_SHOWN) {
      shown.push("and " + (found.length - NODE_PROBLEMS_SHOWN) + " more");
    }
    $(".fe-node-problems", element).replaceChildren(...shown.map((message) => {
      const item = document.createElement("li");
      item.textContent = message;
      return item;
    }));
    redrawLinks(nodeId);
  }

  // A node that grew or shrank moves its exits: its connections follow them.
  function redrawLinks(nodeId) {
    if (drawflowIds.has(nodeId)) editor.updateConnectionNodes("node-" + drawflowIds.get(nodeId));
  }

  // The selected node's problems that its form does not show by a field: its edges,
  // loops, and edges the canvas could not draw.
  function showSelectedChecks() {
    const box = $("#node-checks");
    const shown = new Set($$("#node-form .field-error").map((error) => error.textContent.trim()));
    const found = selected ? problemsOf(selected).filter((p) => !shown.has(p.message)) : [];
    const loose = selected ? strays.filter((edge) => edge.source === selected) : [];
    box.hidden = !found.length && !loose.length;
    box.replaceChildren();
    if (found.length) {
      const title = document.createElement("h3");
      title.textContent = "On the canvas";
      const list = document.createElement("ul");
      list.append(...found.map((problem) => {
        const item = document.createElement("li");
        item.textContent = problem.message;
        return item;
      }));
      box.append(title, list);
    }
    for (const edge of loose) box.append(strayRow(edge));
  }

  function strayRow(edge) {
    const row = document.createElement("p");
    row.className = "fe-stray";
    row.textContent = "Edge " + (edge.source_handle ? "from “" + edge.source_handle + "” " : "") +
      "to “" + edge.target + "” ";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button fe-small";
    remove.textContent = "Remove edge";
    remove.addEventListener("click", () => {
      strays = strays.filter((other) => other !== edge);
      changed();
      showSelectedChecks();
      showFlowChecks();
    });
    row.append(remove);
    return row;
  }

  // Problems of the flow as a whole (its trigger, edges from nowhere) by its form.
  function showFlowChecks() {
    const box = $("#flow-checks");
    const shown = new Set($$("#settings-form .field-error").map((e) => e.textContent.trim()));
    const found = problems.filter((problem) => !problem.node && !shown.has(problem.message));
    const loose = strays.filter((edge) => !nodes.has(edge.source));
    box.hidden = !found.length && !loose.length;
    box.replaceChildren(...found.map((problem) => {
      const item = document.createElement("p");
      item.className = "field-error";
      item.textContent = problem.message;
      return item;
    }), ...loose.map(strayRow));
  }

  // ---- Saving and publishing

  function isDirty() {
    return canonical(structure()) !== saved;
  }

  function showSaveState(message) {
    const dirty = isDirty();
    $("#save-state").textContent = message || (dirty ? "Unsaved changes" : "All changes saved");
    $("#save-state").classList.toggle("fe-unsaved", dirty && !message);
    $("#save-button").disabled = !dirty;
    const badge = $("#flow-status");
    if (status.version == null) {
      badge.textContent = "Not published yet";
      badge.className = "badge badge-warn";
    } else if (status.changed || dirty) {
      badge.textContent = "Version " + status.version + " runs · the draft differs";
      badge.className = "badge badge-warn";
    } else {
      badge.textContent = "Version " + status.version + " runs";
      badge.className = "badge badge-ok";
    }
  }

  // Save the draft; false (with the problems shown) when the server refuses it.
  async function save() {
    if (!isDirty()) return true;
    const sent = structure();
    showSaveState("Saving…");
    const result = await api("PUT", urls.flow, sent);
    if (result.ok) {
      saved = canonical(sent);
      status = { version: result.body.version, changed: result.body.draft_changed };
      showSaveState("Draft saved");
      return true;
    }
    const refused = result.body.errors && result.body.errors.flow;
    if (refused) showProblems(refused);
    showSaveState(refused
      ? "Not saved: fix the problems marked in red first."
      : "Not saved: " + refusal(result.body));
    return false;
  }

  // The reason in an error body: its message, or its first field's message.
  function refusal(body) {
    const fields = (body.errors && body.errors.json) || {};
    const [name, messages] = Object.entries(fields)[0] || [];
    if (name) return "the " + name + ": " + [].concat(messages)[0];
    return body.message || "the server refused it.";
  }

  async function publish(note) {
    const error = $("#publish-error");
    error.hidden = true;
    if (!(await save())) {
      $("#publish-dialog").close();
      return;
    }
    const result = await api("POST", urls.flow + "/publish", note ? { note } : {});
    if (!result.ok) {
      const refused = result.body.errors && result.body.errors.flow;
      if (refused) showProblems(refused);
      error.textContent = "Not published: " + refusal(result.body);
      error.hidden = false;
      return;
    }
    $("#publish-dialog").close();
    $("#publish-note").value = "";
    status = { version: result.body.number, changed: false };
    showSaveState("Published as version " + result.body.number);
    reloadVersions();
  }

  function reloadVersions() {
    htmx.ajax("GET", urls.versions, { target: "#versions-panel", swap: "innerHTML" });
  }

  async function restore(number) {
    if (isDirty() && !window.confirm(
      "Restoring version " + number + " replaces the draft and its unsaved changes. Go on?")) {
      return;
    }
    const result = await api("POST", urls.flow + "/versions/" + number + "/restore");
    if (!result.ok) {
      showSaveState("Not restored: " + refusal(result.body));
      return;
    }
    load(result.body);
    status = { version: result.body.version, changed: result.body.draft_changed };
    clearPanel();
    reloadSettings();
    showSaveState("Version " + number + " is the draft now");
    if (overlay) drawOverlay();
    check();
  }

  function reloadSettings() {
    htmx.ajax("POST", urls.settings, {
      target: "#settings-panel", swap: "innerHTML",
      values: { draft: JSON.stringify({ name: draft.name, trigger: draft.trigger }) },
    });
  }

  // ---- The side panel

  function showTab(name) {
    for (const tab of $$(".fe-tabs [role=tab]")) {
      const on = tab.id === "tab-" + name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    }
  }

  function select(nodeId) {
    if (selected && elementOf(selected)) elementOf(selected).classList.remove("fe-selected");
    selected = nodeId;
    const node = nodes.get(nodeId);
    if (!node) return clearPanel();
    elementOf(nodeId).classList.add("fe-selected");
    showTab("node");
    const sent = { id: node.id, type: node.type, data: node.data };
    htmx.ajax("POST", urls.node, {
      target: "#node-panel", swap: "innerHTML", values: { node: JSON.stringify(sent) },
    });
  }

  function clearPanel() {
    if (selected && elementOf(selected)) elementOf(selected).classList.remove("fe-selected");
    selected = null;
    $("#node-panel").innerHTML =
      '<p class="empty fe-pane-empty">Select a node on the canvas to edit it.</p>';
    showSelectedChecks();
  }

  // Each form's result as last taken: any swap (the preview polls) runs the takers,
  // and a form's result counts only once, when it is new.
  const taken = { node: "", settings: "" };

  function fresh(name, element) {
    if (!element || element.textContent === taken[name]) return null;
    taken[name] = element.textContent;
    return JSON.parse(element.textContent);
  }

  // A node's form came back from the server: take its data into the draft.
  function takeNodeForm() {
    const result = fresh("node", $("#node-result"));
    if (!result) return;
    const node = result.node;
    const current = nodes.get(node.id);
    if (!current || node.id !== selected) return;
    if (canonical(current.data) !== canonical(node.data)) {
      current.data = node.data;
      refreshNode(current);
      changed();
    }
    showSelectedChecks();
  }

  function takeSettingsForm() {
    const settings = fresh("settings", $("#settings-result"));
    if (!settings) return;
    if (canonical(settings) === canonical({ name: draft.name, trigger: draft.trigger })) {
      return showFlowChecks();
    }
    draft.name = settings.name;
    draft.trigger = settings.trigger;
    $("#flow-name").textContent = draft.name || "Untitled flow";
    for (const node of nodes.values()) if (node.type === "start") refreshNode(node);
    changed();
    showFlowChecks();
  }

  // ---- Drop-off and the preview drawn on the nodes

  function refreshVersionChoices() {
    const select = $("#dropoff-version");
    const chosen = select.value;
    const numbers = $$("#versions-panel [data-version].fe-version").map((item) => ({
      number: item.dataset.version, current: item.dataset.current === "true",
    }));
    select.replaceChildren(new Option("Off", ""), ...numbers.map((version) =>
      new Option("Version " + version.number + (version.current ? " (running)" : ""),
        version.number)));
    select.value = numbers.some((version) => version.number === chosen) ? chosen : "";
  }

  async function showDropOff(number) {
    $("#dropoff-version").value = number || "";
    if (!number) {
      overlay = null;
      return drawOverlay();
    }
    const result = await api("GET", urls.flow + "/analytics?version=" + encodeURIComponent(number));
    overlay = result.ok ? result.body : null;
    drawOverlay(result.ok ? "" : result.body.message || "No drop-off for this version.");
  }

  function drawOverlay(message) {
    $("#canvas").classList.toggle("fe-overlay-on", Boolean(overlay));
    const summary = $("#dropoff-summary");
    summary.hidden = !overlay && !message;
    if (overlay) {
      const away = overlay.nodes.filter((counts) => !nodes.has(counts.id)).length;
      summary.textContent = "Version " + overlay.version + ": " + overlay.sessions +
        (overlay.sessions === 1 ? " session, " : " sessions, ") + overlay.completed +
        " completed" + (away ? "; " + away + " of its nodes are not on the canvas." : ".");
    } else {
      summary.textContent = message || "";
    }
    for (const id of nodes.keys()) showNodeStats(id);
  }

  function showNodeStats(nodeId) {
    const element = elementOf(nodeId);
    if (!element) return;
    const box = $(".fe-node-stats", element);
    const counts = overlay && overlay.nodes.find((found) => found.id === nodeId);
    box.hidden = !overlay;
    if (!overlay) return redrawLinks(nodeId);
    if (!counts) {
      box.textContent = "Not in version " + overlay.version;
      box.className = "fe-node-stats fe-stats-absent";
      return redrawLinks(nodeId);
    }
    const share = overlay.sessions ? Math.round((100 * counts.reached) / overlay.sessions) : 0;
    box.className = "fe-node-stats";
    box.innerHTML =
      '<span class="fe-stat" data-stat="reached"><b>' + counts.reached + "</b> reached</span>" +
      '<span class="fe-stat" data-stat="stopped"><b>' + counts.stopped + "</b> stopped</span>" +
      (counts.waiting ? '<span class="fe-stat" data-stat="waiting"><b>' + counts.waiting +
        "</b> waiting</span>" : "") +
      '<span class="fe-stat-bar" style="--share:' + share + '%"></span>';
    redrawLinks(nodeId);
  }

  function showLivePreview() {
    const state = $("#preview-state");
    const running = state && OPEN_STATUSES.includes(state.dataset.status);
    const live = running ? state.dataset.nodeId : null;
    for (const id of nodes.keys()) {
      const element = elementOf(id);
      if (element) element.classList.toggle("fe-live", id === live);
    }
  }

  async function startPreview(button) {
    if (isDirty() && !(await save())) return;
    htmx.ajax("POST", button.dataset.url, { target: "#preview-panel", swap: "innerHTML" });
  }

  // ---- Wiring

  function startCanvas() {
    editor = new Drawflow($("#canvas"));
    editor.reroute = false;
    editor.force_first_input = true;  // a connection may be dropped anywhere on a node
    editor.curvature = 0.4;
    editor.zoom_min = 0.3;
    editor.start();

    editor.on("nodeSelected", (drawflowId) => {
      const nodeId = nodeIds.get(String(drawflowId));
      if (!quiet && nodeId !== selected) select(nodeId);
    });
    editor.on("nodeMoved", () => showSaveState());
    editor.on("nodeRemoved", (drawflowId) => {
      if (quiet) return;
      const nodeId = nodeIds.get(String(drawflowId));
      nodes.delete(nodeId);
      nodeIds.delete(String(drawflowId));
      drawflowIds.delete(nodeId);
      if (nodeId === selected) clearPanel();
      changed();
    });
    editor.on("connectionStart", () => $("#canvas").classList.add("fe-connecting"));
    editor.on("connectionCancel", () => $("#canvas").classList.remove("fe-connecting"));
    editor.on("connectionCreated", (connection) => {
      $("#canvas").classList.remove("fe-connecting");
      if (quiet) return;
      keepOnlyConnection(connection);
      changed();
    });
    editor.on("connectionRemoved", () => { if (!quiet) changed(); });
  }

  // An exit leads to one node: a new connection from it replaces the one before.
  function keepOnlyConnection(connection) {
    const info = editor.getNodeFromId(connection.output_id);
    const output = info.outputs[connection.output_class];
    silently(() => {
      for (const other of output.connections) {
        if (String(other.node) !== String(connection.input_id)) {
          editor.removeSingleConnection(connection.output_id, other.node,
            connection.output_class, other.output);
        }
      }
    });
    const nodeId = nodeIds.get(String(connection.output_id));
    const node = nodes.get(nodeId);
    const index = Number(connection.output_class.slice("output_".length)) - 1;
    const handle = node ? node.handles[index] : undefined;
    strays = strays.filter((edge) =>
      !(edge.source === nodeId && handleOf(edge) === handle));
  }

  function wirePalette() {
    const canvas = $("#canvas");
    for (const item of $$(".fe-palette-item")) {
      item.addEventListener("dragstart", (event) => {
        event.dataTransfer.setData("text/plain", item.dataset.kind);
        event.dataTransfer.effectAllowed = "copy";
      });
      // A click (or Enter) adds the node next to the selected one.
      item.addEventListener("click", () => {
        const at = freeSpot();
        addNode(item.dataset.kind, at.x, at.y);
      });
    }
    canvas.addEventListener("dragover", (event) => {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    canvas.addEventListener("drop", (event) => {
      event.preventDefault();
      const kind = event.dataTransfer.getData("text/plain");
      if (!kinds[kind]) return;
      const at = canvasPoint(event.clientX, event.clientY);
      addNode(kind, at.x - 20, at.y - 20);
    });
  }

  function wireControls() {
    $("#save-button").addEventListener("click", save);
    $("#publish-button").addEventListener("click", () => {
      $("#publish-error").hidden = true;
      $("#publish-dialog").showModal();
      $("#publish-note").focus();
    });
    $("#publish-form").addEventListener("submit", (event) => {
      if (event.submitter && event.submitter.value === "publish") {
        event.preventDefault();
        publish($("#publish-note").value.trim());
      }
    });
    $("#dropoff-version").addEventListener("change", (event) => showDropOff(event.target.value));
    for (const tab of $$(".fe-tabs [role=tab]")) {
      tab.addEventListener("click", () => showTab(tab.id.slice("tab-".length)));
    }
    for (const tool of $$(".fe-tool")) {
      tool.addEventListener("click", () => {
        if (tool.dataset.tool === "zoom-in") editor.zoom_in();
        else if (tool.dataset.tool === "zoom-out") editor.zoom_out();
        else fit();
      });
    }
    document.addEventListener("click", (event) => {
      const target = event.target.closest("[data-action], #preview-start, .fe-problem-link");
      if (!target) return;
      if (target.id === "preview-start") {
        event.preventDefault();
        startPreview(target);
      } else if (target.classList.contains("fe-problem-link")) {
        event.preventDefault();
        select(target.dataset.node);
        reveal(target.dataset.node);
      } else if (target.dataset.action === "delete-node" && selected) {
        editor.removeNodeId("node-" + drawflowIds.get(selected));
      } else if (target.dataset.action === "restore") {
        restore(target.dataset.version);
      } else if (target.dataset.action === "dropoff") {
        showDropOff(target.dataset.version);
      }
    });
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") {
        event.preventDefault();
        save();
      }
    });
    window.addEventListener("beforeunload", (event) => {
      if (isDirty()) event.preventDefault();
    });
    document.addEventListener("htmx:after:swap", () => {
      takeNodeForm();
      takeSettingsForm();
      refreshVersionChoices();
      showLivePreview();
    });
  }

  // The notice a page arrives with (such as "created") shows for a moment only.
  function fadeNotices() {
    for (const notice of $$(".flow-editor-page > .alert")) {
      setTimeout(() => notice.classList.add("fe-notice-gone"), 5000);
      notice.addEventListener("transitionend", () => notice.remove());
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    fadeNotices();
    startCanvas();
    wirePalette();
    wireControls();
    load(config.flow);
    fresh("settings", $("#settings-result"));
    showSaveState();
    check();
  });
})();
