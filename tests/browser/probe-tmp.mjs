import { chromium } from "playwright-core";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
const page = await browser.newPage();
await page.goto("data:text/html,<p>x</p>");
const cdp = await page.context().newCDPSession(page);
const work = `let t=performance.now(); let x=0; for(let i=0;i<3e7;i++){x+=Math.sqrt(i)}; performance.now()-t`;
async function measure() {
  return page.evaluate(async (work) => {
    const main = eval(work);
    const w = new Worker(URL.createObjectURL(new Blob([`postMessage(${work})`], {type: "text/javascript"})));
    const inWorker = await new Promise((r) => { w.onmessage = (e) => r(e.data); });
    return { main: Math.round(main), worker: Math.round(inWorker) };
  }, work);
}
console.log("rate 1", await measure());
await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
console.log("rate 4 (page only)", await measure());
await browser.close();
