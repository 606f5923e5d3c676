"""The teaching page in a real browser: ``alliance app`` serves it, headless Chromium (Debian's
chromium and chromium-driver, driven by Selenium) loads it offline, steps it, runs it, changes a
control, switches the format to a group, and a screenshot is kept as an artifact.

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
        "--window-size=1500,1100",
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


READ_IMAGE = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then(r => r.blob()).then(blob => {
    const reader = new FileReader(); reader.onload = () => done(reader.result); reader.readAsDataURL(blob);
}).catch(error => done(null));
"""


def plots(driver) -> list[str]:
    """The page's three plots, as PNG data (read from their blob: addresses)."""
    images = driver.find_elements(By.CSS_SELECTOR, "main img")
    assert len(images) == 3, f"expected three plots, found {len(images)}"
    data = [driver.execute_async_script(READ_IMAGE, image.get_attribute("src")) for image in images]
    assert all(item and item.startswith("data:image/png") for item in data)
    return data


PLAY_PAUSE = ("▶", "❚❚")


def button(driver, *labels: str):
    return next(b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.text.strip().upper() in labels)


def finished(driver) -> list[str] | None:
    """The plots once the run has ended (Step and play disabled: no client is in therapy) and they
    have stopped changing, else None."""
    if button(driver, "STEP").is_enabled() or button(driver, *PLAY_PAUSE).is_enabled():
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
    """The page loads offline (plots drawn, so Solara's JavaScript was served locally); Step extends
    the plots; the run ends with Step disabled; switching 'Repair enabled' off and resetting makes the
    same client's two views trade places exactly (same clients, same draws, repair the other way);
    choosing the group format and resetting follows a member of a group (the caption on cohesion) and
    steps."""
    artifact = tmp_path_factory.mktemp("browser") / "teaching_page.png"
    try:
        check_page(browser, server)
    finally:
        browser.save_screenshot(str(artifact))
        print(f"\nscreenshot of the teaching page: {artifact}")


def check_page(browser, server: str) -> None:
    browser.set_script_timeout(20)
    browser.get(server)
    initial = wait_for(lambda: plots(browser), "the page's three plots")
    assert "Ruptures and repair in therapy" in browser.find_element(By.TAG_NAME, "body").text

    button(browser, "STEP").click()
    button(browser, "STEP").click()
    wait_for(lambda: "Time: 2" in browser.find_element(By.TAG_NAME, "body").text, "two steps")
    stepped = wait_for(lambda: (p := plots(browser)) != initial and p, "the plots to change after Step")
    assert stepped[0] != initial[0] and stepped[2] != initial[2]

    button(browser, "▶").click()
    with_repair = wait_for(lambda: finished(browser), "the run to end")

    checkbox = next(
        box for box in browser.find_elements(By.CSS_SELECTOR, ".v-input--checkbox") if "Repair enabled" in box.text
    )
    checkbox.find_element(By.CSS_SELECTOR, ".v-input--selection-controls__ripple").click()
    button(browser, "RESET").click()
    wait_for(lambda: "Time: 0" in browser.find_element(By.TAG_NAME, "body").text, "the reset")
    button(browser, "▶").click()
    without_repair = wait_for(
        lambda: (p := finished(browser)) and p[0] == with_repair[1] and p[1] == with_repair[0] and p,
        "the second run to end with the two client views swapped",
    )
    assert without_repair[2] != with_repair[2]

    choose(browser, "Format", "group")
    button(browser, "RESET").click()
    wait_for(lambda: "cohesion with the group" in page_text(browser), "the group format's caption")
    button(browser, "STEP").click()
    wait_for(lambda: "Time: 1" in page_text(browser), "a step of the group")
    assert plots(browser)


def page_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def choose(driver, label: str, value: str) -> None:
    """Pick ``value`` in the drop-down whose label starts with ``label``."""
    select = next(s for s in driver.find_elements(By.CSS_SELECTOR, ".v-select") if s.text.startswith(label))
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
