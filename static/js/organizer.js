// Organizer portal niceties: banner preview, inline validation, the seat-layout grid editor.
"use strict";

(function () {
  // Banner preview: show the chosen image before it is uploaded.
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    const preview = document.getElementById(input.dataset.preview);
    if (!preview) return;
    let url = null;
    input.addEventListener("change", function () {
      if (url) URL.revokeObjectURL(url);
      const file = input.files && input.files[0];
      if (!file) return;
      url = URL.createObjectURL(file);
      preview.src = url;
      preview.hidden = false;
    });
  });

  // Inline validation: say what is wrong with a field as soon as it is left.
  document.querySelectorAll("form[data-validate]").forEach(function (form) {
    form.querySelectorAll("input, select, textarea").forEach(function (field) {
      if (field.type === "hidden" || field.type === "checkbox") return;
      field.addEventListener("blur", function () {
        const box = field.closest(".field");
        if (!box) return;
        let note = box.querySelector(".field-error[data-inline]");
        if (field.checkValidity()) {
          if (note) note.remove();
          box.classList.remove("field-invalid");
          field.removeAttribute("aria-invalid");
          return;
        }
        if (!note) {
          note = document.createElement("p");
          note.className = "field-error";
          note.dataset.inline = "1";
          note.id = field.id + "-inline-error";
          box.appendChild(note);
        }
        note.textContent = field.validationMessage;
        box.classList.add("field-invalid");
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", note.id);
      });
    });
  });

  // Seat-layout editor: clicking a cell moves it to the next category, then to an aisle.
  const grid = document.getElementById("layout-grid");
  const form = document.querySelector("form[data-layout-form]");
  if (!grid || !form) return;
  let dirty = false;
  function kinds() {
    const extra = (form.elements.row_categories.value.match(/[a-z][a-z0-9_-]*$/gm) || []);
    const list = grid.dataset.categories.split(",").concat([form.elements.default_category.value.trim().toLowerCase()], extra);
    return Array.from(new Set(list.filter(Boolean))).concat(["aisle"]);
  }
  grid.addEventListener("click", function (event) {
    const cell = event.target.closest(".layout-cell");
    if (!cell) return;
    const options = kinds();
    const next = options[(options.indexOf(cell.dataset.kind) + 1) % options.length];
    cell.dataset.kind = next;
    cell.className = "layout-cell" + (next === "aisle" ? "" : " cat-" + next);
    cell.textContent = next === "aisle" ? "·" : next.charAt(0).toUpperCase();
    const label = cell.getAttribute("aria-label").replace(/: .*$/, ": " + next);
    cell.setAttribute("aria-label", label);
    dirty = true;
  });
  ["rows", "seats_per_row", "aisles_after", "default_category", "row_categories"].forEach(function (name) {
    form.elements[name].addEventListener("input", function () {
      dirty = false;
    });
  });
  form.addEventListener("submit", function () {
    if (!dirty) {
      form.elements.cells.value = "";
      return;
    }
    const rows = new Map();
    grid.querySelectorAll(".layout-cell").forEach(function (cell) {
      const row = Number(cell.style.gridRow.split("/")[0]);
      if (!rows.has(row)) rows.set(row, []);
      rows.get(row).push(cell.dataset.kind);
    });
    const cells = Array.from(rows.keys()).sort(function (a, b) { return a - b; }).map(function (key) {
      return rows.get(key);
    });
    form.elements.cells.value = JSON.stringify(cells);
  });
})();
