/* feedback-service survey widget. No framework, no dependencies.
 * <div data-feedback-token="TOKEN"></div>
 * <script src="https://feedback.example.com/widget.js" async></script>
 * Renders the invitation's survey in a shadow root (styles kept apart), posts
 * the answers to /api/v1/responses. Everything shown is set as text, never HTML. */
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
    "label.r{position:relative;display:block}[hidden]{display:none!important}.l{grid-template-columns:1fr}" +
    ".l label.r span{text-align:left;padding:0 .75rem}" +
    "label.r input{position:absolute;opacity:0;width:100%;height:100%;margin:0;cursor:pointer}" +
    "label.r span{display:block;min-height:2.75rem;line-height:2.75rem;text-align:center;border:2px solid #1d4ed8;border-radius:6px;color:#1d4ed8;font-weight:600;background:#fff}" +
    "label.r input:checked+span{background:#1d4ed8;color:#fff}" +
    "label.r input:focus-visible+span{outline:3px solid #1f2933;outline-offset:2px}" +
    ".s{display:flex;justify-content:space-between;color:#52606d;font-size:.8125rem;margin:.25rem 0 0}" +
    "label.c{display:block;font-weight:600;margin:0 0 .375rem}" +
    "textarea,input[type=text]{display:block;box-sizing:border-box;width:100%;min-height:6rem;padding:.5rem;border:2px solid #52606d;border-radius:6px;font:inherit}input[type=text]{min-height:2.75rem}" +
    "button{display:block;width:100%;min-height:3rem;margin:1rem 0 0;border:0;border-radius:6px;background:#1d4ed8;color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
    "button:focus-visible{outline:3px solid #1f2933;outline-offset:2px}.e{color:#b42318;font-weight:600}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    if (text != null) node.textContent = text;
    return node;
  }

  // show_if, as surveys/questions.py; hidden questions are not sent.
  function holds(rule, given) {
    if (given == null) return false;
    if (rule["in"]) return [].concat(given).some(function (v) { return rule["in"].indexOf(v) >= 0; });
    return !(("min" in rule && given < rule.min) || ("max" in rule && given > rule.max));
  }

  function answerOf(form, q) {
    var ins = form.querySelectorAll('input[name="' + q.key + '"]' + (q.type === "text" ? "" : ":checked"));
    if (q.type === "text") return ins[0].value.trim() || null;
    var on = Array.prototype.map.call(ins, function (i) { return q.options[+i.getAttribute("data-i")].value; });
    return !on.length ? null : q.type === "multi" ? on : on[0];
  }

  function question(q, given) {
    var set = el("fieldset", {"data-key": q.key});
    set.appendChild(el("legend", null, q.wording + (q.required ? " *" : "")));
    if (q.type === "text") {
      var box = el("input", {type: "text", name: q.key, maxlength: String(q.max_length), "aria-label": q.wording});
      box.value = given || "";
      set.appendChild(box);
      return set;
    }
    var list = q.type === "choice" || q.type === "multi";
    var opts = el("div", {"class": list ? "o l" : "o"});
    q.options.forEach(function (opt, i) {
      var label = el("label", {"class": "r"});
      var input = el("input", {type: q.type === "multi" ? "checkbox" : "radio", name: q.key, value: String(opt.value), "data-i": String(i)});
      if (given === opt.value || (Array.isArray(given) && given.indexOf(opt.value) >= 0)) input.checked = true;
      var text = opt.label;
      var end = !list && q.options.length > 2 && (i ? i === q.options.length - 1 && q.high_label : q.low_label);
      if (end) input.setAttribute("aria-label", text + " (" + end + ")");
      label.appendChild(input);
      label.appendChild(el("span", null, text));
      opts.appendChild(label);
    });
    set.appendChild(opts);
    if (!list && q.options.length > 2 && (q.low_label || q.high_label)) {
      var scale = el("div", {"class": "s", "aria-hidden": "true"});
      scale.appendChild(el("span", null, q.low_label));
      scale.appendChild(el("span", null, q.high_label));
      set.appendChild(scale);
    }
    return set;
  }

  function render(root, token, survey) {
    var form = el("form", {"class": "w", novalidate: ""});
    form.appendChild(el("h2", null, survey.title));
    form.appendChild(el("p", {"class": "h"}, survey.hint));
    var sets = survey.questions.map(function (q) {
      var set = question(q, survey.answers[q.key]);
      form.appendChild(set);
      return set;
    });
    function visible() {
      var got = {};
      survey.questions.forEach(function (q, i) {
        sets[i].hidden = !!q.show_if && !holds(q.show_if, got[q.show_if.question]);
        var v = sets[i].hidden ? null : answerOf(form, q);
        if (v !== null) got[q.key] = v;
      });
      return got;
    }
    form.addEventListener("change", visible);
    visible();
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
      var answers = visible();
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
