// The drawing pad of helpers/pad.py (anywidget): draw with mouse, pen or finger; when a
// stroke ends, the drawing goes to Python as SIDE x SIDE grey levels (0 = paper, 255 = ink);
// Python sends back `reading`: the 28x28 image the network sees and, per model, the
// predicted digit and ten probabilities, which are drawn here.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el: root }) {
  const size = model.get("canvas_size");
  const side = model.get("side");
  root.classList.add("mnist-pad");

  const left = el("div", "pad-left");
  const canvas = el("canvas", "pad-canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.setAttribute("aria-label", "Drawing area: draw one digit");
  const ctx = canvas.getContext("2d");
  const clear = el("button", "pad-clear", "Clear");
  const hint = el("div", "pad-hint", "Draw one digit, as large as the box.");
  left.append(canvas, el("div", "pad-buttons"));
  left.lastChild.append(clear, hint);

  const right = el("div", "pad-right");
  const seesBox = el("div", "pad-sees");
  const sees = el("canvas", "pad-input");
  sees.width = 28;
  sees.height = 28;
  seesBox.append(el("div", "pad-caption", "what the network sees (28x28)"), sees);
  // the option explain=True: the first model's saliency map and the models' disagreement
  const salBox = el("div", "pad-sees pad-saliency-box");
  const saliency = el("canvas", "pad-input pad-saliency");
  saliency.width = 28;
  saliency.height = 28;
  salBox.append(el("div", "pad-caption", "saliency |gradient| (first model)"), saliency);
  salBox.style.display = "none";
  const readings = el("div", "pad-readings");
  const disagreement = el("div", "pad-disagreement");
  disagreement.style.fontSize = "12px";
  const status = el("div", "pad-status");
  right.append(seesBox, salBox, readings, disagreement, status);
  root.append(left, right);

  function blank() {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, size, size);
  }
  blank();
  ctx.strokeStyle = "#000000";
  ctx.lineCap = "round";
  ctx.lineJoin = "round";

  // The drawing, shrunk to side x side by the browser (smooth scaling), as grey levels.
  const small = document.createElement("canvas");
  small.width = side;
  small.height = side;
  const sctx = small.getContext("2d", { willReadFrequently: true });
  function send() {
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = "high";
    sctx.drawImage(canvas, 0, 0, side, side);
    const rgba = sctx.getImageData(0, 0, side, side).data;
    const ink = new Array(side * side);
    for (let i = 0; i < side * side; i++) ink[i] = 255 - rgba[4 * i];
    pending += 1;
    root.dataset.pending = String(pending);
    status.textContent = "reading...";
    model.set("drawing", ink);
    model.save_changes();
  }

  let drawing = false;
  let last = null;
  let pending = 0; // drawings sent to Python and not read yet (every one gets a reading)
  function point(event) {
    const box = canvas.getBoundingClientRect(); // includes the border: skip it
    return [
      ((event.clientX - box.left - canvas.clientLeft) * size) / canvas.clientWidth,
      ((event.clientY - box.top - canvas.clientTop) * size) / canvas.clientHeight,
    ];
  }
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    ctx.lineWidth = model.get("stroke_width");
    ctx.beginPath();
    ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fillStyle = "#000000";
    ctx.fill();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const now = point(event);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(now[0], now[1]);
    ctx.stroke();
    last = now;
  });
  function end(event) {
    if (!drawing) return;
    drawing = false;
    if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    send();
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  clear.addEventListener("click", () => {
    blank();
    pending += 1;
    root.dataset.pending = String(pending);
    model.set("drawing", []);
    model.save_changes();
  });

  function show() {
    const reading = model.get("reading") || {};
    readings.replaceChildren();
    salBox.style.display = "none";
    disagreement.textContent = "";
    const sctx2 = sees.getContext("2d");
    sctx2.fillStyle = "#000000";
    sctx2.fillRect(0, 0, 28, 28);
    status.textContent = pending > 0 ? "reading..." : reading.message || "";
    if (!reading.image) return;
    const img = sctx2.createImageData(28, 28);
    reading.image.forEach((v, i) => {
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    });
    sctx2.putImageData(img, 0, 0);
    salBox.style.display = reading.saliency ? "" : "none";
    disagreement.textContent = reading.disagreement || "";
    if (reading.saliency) {
      const sal = saliency.getContext("2d");
      const map = sal.createImageData(28, 28);
      reading.saliency.forEach((v, i) => {
        map.data[4 * i] = map.data[4 * i + 1] = map.data[4 * i + 2] = 255 - v; // dark = large
        map.data[4 * i + 3] = 255;
      });
      sal.putImageData(map, 0, 0);
    }
    for (const one of reading.models) {
      const box = el("div", "pad-model");
      const head = el("div", "pad-head");
      head.append(el("span", "pad-name", one.name), el("span", "pad-digit", String(one.digit)));
      const bars = el("div", "pad-bars");
      one.probabilities.forEach((p, digit) => {
        const col = el("div", "pad-col" + (digit === one.digit ? " pad-top" : ""));
        col.dataset.digit = String(digit);
        col.title = `${digit}: ${(100 * p).toFixed(1)}%`;
        const track = el("div", "pad-track");
        const bar = el("div", "pad-bar");
        bar.style.height = `${Math.max(0, Math.min(1, p)) * 100}%`;
        track.append(bar);
        col.append(track, el("div", "pad-label", String(digit)));
        bars.append(col);
      });
      box.append(head, bars, el("div", "pad-prob", `p = ${one.probabilities[one.digit].toFixed(3)}`));
      readings.append(box);
    }
  }
  model.on("change:reading", () => {
    pending = Math.max(0, pending - 1);
    root.dataset.pending = String(pending);
    show();
  });
  show();
}

export default { render };
