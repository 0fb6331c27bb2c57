// Progressive enhancement for the emergency-stop page: refresh the acknowledgement list every two
// seconds from /stop/acks (an HTML fragment rendered by the server). Without JavaScript the page
// offers a Refresh link instead.
const region = document.querySelector("[data-poll]");
if (region instanceof HTMLElement) {
  const url = region.dataset.poll;
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
      // A redirect means the session ended: keep the last state rather than show the sign-in page here.
      if (response.ok && !response.redirected) region.innerHTML = await response.text();
    } catch {
      // the next tick tries again
    }
  };
  setInterval(() => void tick(), 2000);
}
