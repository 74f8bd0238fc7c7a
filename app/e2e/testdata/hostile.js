// The page's own global, which the widget must not take.
window.Parley = { mine: true, clicks: 0 };
document.addEventListener("DOMContentLoaded", function () {
  document.getElementById("mine").addEventListener("click", function () { window.Parley.clicks++; });
});
