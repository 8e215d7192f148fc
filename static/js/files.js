// Images in texts, as a progressive enhancement of templates/files/_image_upload.html: the
// form uploads in place and the image's Markdown goes into the text box at the cursor; images
// dropped or pasted on that text box are uploaded the same way. Without this file the form
// opens the upload page, which shows the line to copy.
(() => {
  const insert = (textarea, markdown) => {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    const before = textarea.value.slice(0, start);
    const gap = before && !before.endsWith("\n") ? "\n\n" : "";
    textarea.value = before + gap + markdown + "\n" + textarea.value.slice(end);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  };

  const upload = async (form, file) => {
    const status = form.querySelector(".image-upload-status");
    const textarea = document.getElementById(form.dataset.imageTarget);
    const data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("file", file, file.name || "image.png");
    status.textContent = form.dataset.uploading || "…";
    const response = await fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (response.ok) {
      const answer = await response.json();
      if (textarea) insert(textarea, answer.markdown);
      status.textContent = answer.markdown;
      return;
    }
    // A refusal comes back as the upload page with the field's message.
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const error = page.querySelector(".field-error");
    status.textContent = error ? error.textContent : response.statusText;
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form.image-upload").forEach((form) => {
      const input = form.querySelector("input[type=file]");
      form.removeAttribute("target");
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (input.files.length) upload(form, input.files[0]).then(() => { input.value = ""; });
      });
      const textarea = document.getElementById(form.dataset.imageTarget);
      if (!textarea) return;
      const images = (list) => Array.from(list || []).filter((f) => f.type.startsWith("image/"));
      textarea.addEventListener("dragover", (event) => {
        if (images(event.dataTransfer.items).length || event.dataTransfer.types.includes("Files")) event.preventDefault();
      });
      textarea.addEventListener("drop", (event) => {
        const files = images(event.dataTransfer.files);
        if (!files.length) return;
        event.preventDefault();
        files.reduce((done, file) => done.then(() => upload(form, file)), Promise.resolve());
      });
      textarea.addEventListener("paste", (event) => {
        const files = images(event.clipboardData && event.clipboardData.files);
        if (!files.length) return;
        event.preventDefault();
        files.reduce((done, file) => done.then(() => upload(form, file)), Promise.resolve());
      });
    });
  });
})();
