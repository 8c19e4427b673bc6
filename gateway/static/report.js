// The field report form: what, when, where -> POST /v1/events/council (gateway/field.py).
(function () {
  "use strict";
  const form = document.getElementById("report");
  const map = document.getElementById("map");
  const pin = document.getElementById("pin");
  const point = document.getElementById("point");
  const result = document.getElementById("result");
  const key = document.getElementById("key");
  const when = document.getElementById("when");
  const frame = {
    west: Number(map.dataset.west), north: Number(map.dataset.north),
    sx: Number(map.dataset.sx), sy: Number(map.dataset.sy),
  };
  let chosen = null;
  let pending = null; // the last unsent report: a resend repeats its Idempotency-Key

  function localNow() {
    const d = new Date();
    d.setSeconds(0, 0);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }
  when.value = localNow();
  key.value = localStorage.getItem("safer-device-key") || "";

  function place(lat, lon, how, ward) {
    chosen = { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 };
    pin.setAttribute("cx", (lon - frame.west) * frame.sx);
    pin.setAttribute("cy", (frame.north - lat) * frame.sy);
    const where = ward ? " in " + ward : "";
    point.textContent = how + where + " (" + chosen.lat.toFixed(5) + ", " + chosen.lon.toFixed(5) + ")";
    pending = null;
  }

  map.addEventListener("click", function (event) {
    const box = map.getBoundingClientRect();
    const view = map.viewBox.baseVal;
    const x = (event.clientX - box.left) * view.width / box.width;
    const y = (event.clientY - box.top) * view.height / box.height;
    const area = event.target.closest ? event.target.closest("polygon") : null;
    place(frame.north - y / frame.sy, frame.west + x / frame.sx, "On the map",
      area ? area.dataset.ward : "");
  });

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { point.textContent = "This phone cannot give its location."; return; }
    point.textContent = "Finding this phone's location…";
    navigator.geolocation.getCurrentPosition(
      function (p) { place(p.coords.latitude, p.coords.longitude, "This phone's location"); },
      function () { point.textContent = "No location: tap the map instead."; },
      { enableHighAccuracy: true, timeout: 15000 }
    );
  });

  form.addEventListener("input", function () { pending = null; });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    result.className = "";
    if (!key.value) { result.className = "error"; result.textContent = "Enter this device's key."; key.focus(); return; }
    if (!chosen) { result.className = "error"; result.textContent = "Choose where it happened."; return; }
    localStorage.setItem("safer-device-key", key.value);
    const option = document.getElementById("asb_type").selectedOptions[0];
    const now = new Date().toISOString();
    if (!pending) {
      const id = crypto.randomUUID();
      pending = { id: id, body: {
        id: "field-" + id, type: "council.asb", source: "council", partner: "council",
        time: now, record_key: "council:field:" + id, version: 1,
        data: {
          category: option.dataset.category, asb_type: option.value,
          occurred: { start: new Date(when.value).toISOString() }, received_at: now,
          location: { lat: chosen.lat, lon: chosen.lon },
          people: document.getElementById("youth").checked ? { youth: true } : {},
        },
      } };
    }
    result.textContent = "Sending…";
    try {
      const response = await fetch("events/council", {
        method: "POST",
        headers: {
          "Authorization": "Bearer " + key.value,
          "Idempotency-Key": pending.id,
          "Content-Type": "application/json",
        },
        body: JSON.stringify(pending.body),
      });
      const answer = await response.json();
      if (response.status === 202) {
        result.className = "ok";
        result.textContent = "Sent. Reference " + answer.record_key + ".";
        pending = null;
        chosen = null;
        pin.setAttribute("cx", -20);
        point.textContent = "No place chosen yet.";
        when.value = localNow();
      } else {
        result.className = "error";
        result.textContent = "Not sent: " + (answer.error || response.status);
        if (response.status === 401 || response.status === 403) { pending = null; }
      }
    } catch (error) {
      result.className = "error";
      result.textContent = "No connection: press Send again to resend the same report.";
    }
  });
})();
