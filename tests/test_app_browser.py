"""The teaching page in a real browser at a 1400 px window: ``alliance app`` serves it, headless
Chromium (Debian's chromium and chromium-driver, driven by Selenium) loads it offline, steps it, runs
it to the end (the page says the course has finished, the followed client's dropout is marked),
measures its text (every plot text and control label at least 14 px), changes a control, types a
seed, switches the format to a group, and a screenshot is kept as an artifact.

Chromium is installed by the ``chromium`` fixture when missing (apt-get, as root); the test is
skipped only where that is not possible.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Callable

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from app_process import ServedPage  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

PACKAGES = ("chromium", "chromium-driver")


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """Paths of the Chromium binary and its driver, installing Debian's packages when missing."""

    def find() -> tuple[str | None, str | None]:
        return shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")

    browser, driver = find()
    if not (browser and driver) and os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=environment, capture_output=True, timeout=300)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *PACKAGES], env=environment, capture_output=True, timeout=600
        )
        browser, driver = find()
    if not (browser and driver):
        pytest.skip(
            "no Chromium found and it could not be installed here (needs root and apt-get): "
            f"apt-get install {' '.join(PACKAGES)}"
        )
    return browser, driver


@pytest.fixture(scope="module")
def server():
    """``alliance app --port P`` in its own process; yields the page's address."""
    served = ServedPage()
    yield served.address
    served.stop()


@pytest.fixture
def browser(chromium):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromium[1]), options=options)
    yield driver
    driver.quit()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 180.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the page re-renders under us: try again
            value = None
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


MIN_TEXT_PX = 14  # readable from the back of a room (issue 27)


def plots(driver) -> list[str]:
    """The page's three plots, as their inline SVG."""
    images = driver.find_elements(By.CSS_SELECTOR, ".plot svg")
    assert len(images) == 3, f"expected three plots, found {len(images)}"
    return [image.get_attribute("outerHTML") for image in images]


# the rendered size of every plot text (its font size times the SVG's scale on the page) and of every
# control's label (times its transform's scale) and shown value
TEXT_SIZES = """
const sizes = [];
for (const svg of document.querySelectorAll('.plot svg')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll('text')) {
        const size = parseFloat(getComputedStyle(text).fontSize) * scale;
        if (text.textContent.trim()) sizes.push([size, text.textContent]);
    }
}
for (const label of document.querySelectorAll('label, .control-value')) {
    // a floating label is shrunk by a transform: its drawn height over its laid-out height
    const scale = label.offsetHeight ? label.getBoundingClientRect().height / label.offsetHeight : 1;
    if (label.textContent.trim()) sizes.push([parseFloat(getComputedStyle(label).fontSize) * scale, label.textContent]);
}
return sizes;
"""


def text_sizes(driver) -> list[tuple[float, str]]:
    return [(float(size), text) for size, text in driver.execute_script(TEXT_SIZES)]


PLAY_PAUSE = ("▶", "❚❚")


def button(driver, *labels: str):
    return next(b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.text.strip().upper() in labels)


def finished(driver) -> list[str] | None:
    """The plots once the run has ended (Step and play disabled: no client is in therapy, and the
    page says the course has finished) and they have stopped changing, else None."""
    if button(driver, "STEP").is_enabled() or button(driver, *PLAY_PAUSE).is_enabled():
        return None
    if "Course finished" not in page_text(driver):
        return None
    # The last redraw may still be on its way (three plots take up to a second, several on a loaded
    # machine): the plots count as final once three reads 1.5 s apart agree.
    first = plots(driver)
    for _ in range(2):
        time.sleep(1.5)
        if plots(driver) != first:
            return None
    return first


def test_page_steps_runs_and_follows_a_control(server, browser, tmp_path_factory):
    """The page loads offline (plots drawn, so Solara's JavaScript was served locally) without Mesa's
    own controls (page tab, play and render interval, threads); every control shows its value; text
    is at least 14 px; Step extends the plots; the run ends with Step disabled and 'Course finished'
    said, the twin's dropout marked; switching 'Repair enabled' off and resetting makes the same
    client's two views trade places exactly (same clients, same draws, repair the other way); a typed
    seed with the lesson's client follows client 57 (avoidant, online); comparing feedback shows the
    client without and with it; choosing the group format and resetting follows a member of a group
    (the caption on cohesion) and steps."""
    artifact = tmp_path_factory.mktemp("browser") / "teaching_page.png"
    try:
        check_page(browser, server, artifact.with_name("teaching_page_finished.png"))
    finally:
        browser.save_screenshot(str(artifact))
        print(f"\nscreenshot of the teaching page: {artifact}")


def check_page(browser, server: str, finished_shot) -> None:
    browser.set_script_timeout(20)
    browser.get(server)
    initial = wait_for(lambda: plots(browser), "the page's three plots")
    text = page_text(browser)
    assert "Ruptures and repair in therapy" in text
    for noise in ("Play Interval", "Render Interval", "Use Threads", "PAGE 0", "Page 0"):
        assert noise not in text, noise
    assert "Attunement (0-1): 0.55" in text and "Challenge (0-1): " in text  # a slider shows its value
    small = [(size, words) for size, words in text_sizes(browser) if size < MIN_TEXT_PX]
    assert not small, f"text under {MIN_TEXT_PX} px: {small[:5]}"

    button(browser, "STEP").click()
    button(browser, "STEP").click()
    wait_for(lambda: "Time: 2" in page_text(browser), "two steps")
    stepped = wait_for(lambda: (p := plots(browser)) != initial and p, "the plots to change after Step")
    assert stepped[0] != initial[0] and stepped[2] != initial[2]

    button(browser, "▶").click()
    with_repair = wait_for(lambda: finished(browser), "the run to end")
    assert "dropped out after session" in with_repair[1]  # the default client drops out without repair
    browser.save_screenshot(str(finished_shot))
    assert not [(size, words) for size, words in text_sizes(browser) if size < MIN_TEXT_PX]

    checkbox = next(
        box for box in browser.find_elements(By.CSS_SELECTOR, ".v-input--checkbox") if "Repair enabled" in box.text
    )
    checkbox.find_element(By.CSS_SELECTOR, ".v-input--selection-controls__ripple").click()
    button(browser, "RESET").click()
    wait_for(lambda: "Time: 0" in page_text(browser), "the reset")
    button(browser, "▶").click()
    without_repair = wait_for(
        lambda: (p := finished(browser)) and p[0] == with_repair[1] and p[1] == with_repair[0] and p,
        "the second run to end with the two client views swapped",
    )
    assert without_repair[2] != with_repair[2]

    type_number(browser, "Seed", 5)
    choose(browser, "Follow a client whose attachment", "avoidant")
    choose(browser, "... and who is seen", "online")
    button(browser, "RESET").click()
    wait_for(lambda: "Client 57 (avoidant, online)" in plots(browser)[0], "the lesson's client at the typed seed")

    choose(browser, "Compare with this switch", "feedback")
    choose(browser, "... and whose course shows", "a not-on-track signal acted on")
    button(browser, "RESET").click()
    wait_for(lambda: "Time: 0" in page_text(browser), "the reset with feedback compared")
    button(browser, "STEP").click()
    wait_for(
        lambda: (p := plots(browser)) and "feedback off" in p[0] and "feedback on" in p[1],
        "the two views to compare feedback off and on",
    )

    choose(browser, "Format", "group")
    button(browser, "RESET").click()
    wait_for(lambda: "cohesion with the group" in page_text(browser), "the group format's caption")
    button(browser, "STEP").click()
    wait_for(lambda: "Time: 1" in page_text(browser), "a step of the group")
    assert plots(browser)


def type_number(driver, label: str, value: int) -> None:
    """Type ``value`` into the number field whose label starts with ``label`` (and press Enter)."""
    field = next(f for f in driver.find_elements(By.CSS_SELECTOR, ".v-text-field") if f.text.startswith(label))
    entry = field.find_element(By.CSS_SELECTOR, "input")
    entry.send_keys(Keys.CONTROL, "a")
    entry.send_keys(str(value), Keys.ENTER)


def page_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def choose(driver, label: str, value: str) -> None:
    """Pick ``value`` in the drop-down whose label starts with ``label``."""
    select = next(s for s in driver.find_elements(By.CSS_SELECTOR, ".v-select") if s.text.startswith(label))
    select.location_once_scrolled_into_view  # noqa: B018 (scrolls the sidebar to it)
    select.find_element(By.CSS_SELECTOR, ".v-select__slot").click()
    wait_for(
        lambda: next(
            item
            for item in driver.find_elements(By.CSS_SELECTOR, ".v-menu__content .v-list-item")
            if item.is_displayed() and item.text.strip() == value
        ),
        f"'{value}' in the {label} menu",
        10,
    ).click()
