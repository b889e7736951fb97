/* feedback-service survey widget. No framework, no dependencies.
 * <div data-feedback-token="TOKEN"></div>
 * <script src="https://feedback.example.com/widget.js" async></script>
 * Renders the invitation's survey in a shadow root (the host page's styles and
 * ours stay apart) and posts the answers to /api/v1/responses. Everything shown
 * is set as text, never as HTML. */
(function () {
  "use strict";
  var me = document.currentScript ||
    document.querySelector('script[src$="/widget.js"]');
  var base = me ? new URL(me.src, location.href).origin : "";
  var CSS = ":host{display:block}" +
    ".w{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1f2933;max-width:36rem}" +
    "h2{font-size:1.15rem;margin:0 0 .5rem}p{margin:0 0 .75rem}.h{color:#52606d;font-size:.875rem}" +
    "fieldset{border:0;margin:0 0 1rem;padding:0;min-width:0}legend{font-weight:600;padding:0;margin:0 0 .5rem}" +
    ".o{display:grid;gap:.375rem;grid-template-columns:repeat(auto-fit,minmax(2.5rem,1fr))}" +
    "label.r{position:relative;display:block}" +
    "label.r input{position:absolute;opacity:0;width:100%;height:100%;margin:0;cursor:pointer}" +
    "label.r span{display:block;min-height:2.75rem;line-height:2.75rem;text-align:center;border:2px solid #1d4ed8;border-radius:6px;color:#1d4ed8;font-weight:600;background:#fff}" +
    "label.r input:checked+span{background:#1d4ed8;color:#fff}" +
    "label.r input:focus-visible+span{outline:3px solid #1f2933;outline-offset:2px}" +
    ".s{display:flex;justify-content:space-between;color:#52606d;font-size:.8125rem;margin:.25rem 0 0}" +
    "label.c{display:block;font-weight:600;margin:0 0 .375rem}" +
    "textarea{display:block;box-sizing:border-box;width:100%;min-height:6rem;padding:.5rem;border:2px solid #52606d;border-radius:6px;font:inherit}" +
    "button{display:block;width:100%;min-height:3rem;margin:1rem 0 0;border:0;border-radius:6px;background:#1d4ed8;color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
    "button:focus-visible{outline:3px solid #1f2933;outline-offset:2px}.e{color:#b42318;font-weight:600}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    if (text != null) node.textContent = text;
    return node;
  }

  function render(root, token, survey) {
    var form = el("form", {"class": "w", novalidate: ""});
    form.appendChild(el("h2", null, survey.title));
    form.appendChild(el("p", {"class": "h"}, survey.hint));
    survey.questions.forEach(function (q) {
      var set = el("fieldset");
      set.appendChild(el("legend", null, q.wording));
      var opts = el("div", {"class": "o"});
      q.options.forEach(function (opt, i) {
        var label = el("label", {"class": "r"});
        var input = el("input", {type: "radio", name: q.metric, value: String(opt.value)});
        if (survey.answers[q.metric] === opt.value) input.checked = true;
        var text = opt.label;
        if (q.options.length > 2 && i === 0) input.setAttribute("aria-label", text + " (" + q.low_label + ")");
        if (q.options.length > 2 && i === q.options.length - 1) input.setAttribute("aria-label", text + " (" + q.high_label + ")");
        label.appendChild(input);
        label.appendChild(el("span", null, text));
        opts.appendChild(label);
      });
      set.appendChild(opts);
      if (q.options.length > 2) {
        var scale = el("div", {"class": "s", "aria-hidden": "true"});
        scale.appendChild(el("span", null, q.low_label));
        scale.appendChild(el("span", null, q.high_label));
        set.appendChild(scale);
      }
      form.appendChild(set);
    });
    var comment = null;
    if (survey.comment_prompt) {
      var id = "fbw-comment";
      form.appendChild(el("label", {"class": "c", "for": id}, survey.comment_prompt));
      comment = el("textarea", {id: id, name: "comment", maxlength: String(survey.comment_max_length)});
      comment.value = survey.comment || "";
      form.appendChild(comment);
    }
    var status = el("p", {"class": "e", role: "alert"});
    var button = el("button", {type: "submit"}, survey.submit_label);
    form.appendChild(button);
    form.appendChild(status);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = {};
      survey.questions.forEach(function (q) {
        var checked = form.querySelector('input[name="' + q.metric + '"]:checked');
        if (checked) answers[q.metric] = q.metric === "fcr" ? checked.value === "true" : parseInt(checked.value, 10);
      });
      var body = {token: token, answers: answers};
      if (comment && comment.value.trim()) body.comment = comment.value;
      if (!Object.keys(answers).length && !body.comment) {
        status.textContent = survey.nothing_given;
        return;
      }
      button.disabled = true;
      button.textContent = survey.sending_label;
      status.textContent = "";
      fetch(base + "/api/v1/responses", {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(body),
        credentials: "omit"
      }).then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        var done = el("div", {"class": "w", role: "status"});
        done.appendChild(el("h2", null, survey.thanks_title));
        done.appendChild(el("p", null, survey.thanks_body));
        root.replaceChild(done, form);
      }).catch(function () {
        button.disabled = false;
        button.textContent = survey.submit_label;
        status.textContent = survey.error_message;
      });
    });
    root.appendChild(form);
  }

  function mount(host) {
    if (host.shadowRoot || host.getAttribute("data-feedback-mounted")) return;
    host.setAttribute("data-feedback-mounted", "1");
    var token = host.getAttribute("data-feedback-token");
    var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
    var style = el("style", null, CSS);
    root.appendChild(style);
    fetch(base + "/api/v1/surveys/by-token/" + encodeURIComponent(token), {credentials: "omit"})
      .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
      .then(function (survey) { render(root, token, survey); })
      .catch(function () { host.setAttribute("data-feedback-error", "1"); });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-feedback-token]"), mount);
  }
  window.FeedbackWidget = {mount: mount};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
