"""The node's web page in a real headless browser (Debian's chromium and
chromium-driver, driven by Selenium; nothing is downloaded at run time).

The page loads from the simulated node, shows the heater's value as a SECoP
read gives it, sets a target (status turns BUSY, the plot draws), checks a
value before sending it and runs a command with a struct argument.  It saves
screenshots in build/ (and docs/web_page.png for the README when the variable
UPDATE_README_SCREENSHOT is set) and the figures the
closing note asks for in build/web_measurements.json: heap taken by the web
path while the browser is connected, describe-to-first-plot time, page size.
"""

import json
import os
import re
import tempfile
import time

import pytest

from helpers import ROOT, SimNode, heap, wait_for

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
BUILD = os.path.join(ROOT, 'build')

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason='no chromium/chromedriver: apt-get install chromium chromium-driver (.ci/run does)')


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    os.environ['SE_OFFLINE'] = 'true'      # Selenium Manager must not fetch anything
    profile = tempfile.TemporaryDirectory(prefix='secop-chromium-')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-background-networking', '--disable-component-update',
                '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
                '--user-data-dir=' + profile.name, '--window-size=1280,1100'):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
    profile.cleanup()


@pytest.fixture(scope='module')
def node():
    with SimNode(speed=20) as sim:
        yield sim


def read_value(client, spec):
    return json.loads(client.ask('read ' + spec).split(' ', 2)[2])[0]


def shown(driver, spec):
    from selenium.common.exceptions import NoSuchElementException
    from selenium.webdriver.common.by import By
    try:
        text = driver.find_element(By.CSS_SELECTOR, '[data-value="%s"]' % spec).text
    except NoSuchElementException:      # not built yet
        return None
    match = re.match(r'-?\d+(\.\d+)?', text)
    return float(match.group()) if match else None


def canvas_pixels(driver, name, color):
    """How many pixels of the plot canvas are close to ``color`` (r, g, b)."""
    return driver.execute_script('''
        const c = document.querySelector('canvas[data-plot="' + arguments[0] + '"]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const [r, g, b] = arguments[1];
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
            if (d[i + 3] > 200 && Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40
                && Math.abs(d[i + 2] - b) < 40) n++;
        return n;''', name, color)


def test_page_shows_the_node_and_drives_the_heater(browser, node):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    probe = node.client()
    before = heap(probe)
    browser.get('http://127.0.0.1:%d/' % node.port)
    assert wait_for(lambda: shown(browser, 'heater:value') is not None, 15), 'no value shown'
    assert browser.title.startswith('example_heater')
    # the value shown is the value a SECoP client reads (updates arrive every pollinterval)
    assert wait_for(lambda: abs(shown(browser, 'heater:value')
                                - read_value(probe, 'heater:value')) <= 0.5, 10)
    badge = browser.find_element(By.CSS_SELECTOR, '[data-status="heater"]')
    assert badge.text == 'IDLE'
    with_browser = heap(probe)

    target = browser.find_element(By.CSS_SELECTOR, '[data-param="heater:target"]')
    target.send_keys('500', Keys.ENTER)           # outside 0..90: refused by the page
    assert 'bad' in target.get_attribute('class')
    assert read_value(probe, 'heater:target') != 500
    target.clear()
    target.send_keys('45', Keys.ENTER)
    assert wait_for(lambda: 'b3' in badge.get_attribute('class'), 10), badge.text   # BUSY
    assert badge.text in ('BUSY', 'RAMPING', 'STABILIZING')
    assert wait_for(lambda: read_value(probe, 'heater:target') == 45.0, 5)
    # the plot draws the value (blue) and the heater power (red) lines, and the new target
    assert wait_for(lambda: canvas_pixels(browser, 'heater', (11, 92, 173)) > 50, 10)
    assert wait_for(lambda: canvas_pixels(browser, 'heater', (198, 40, 40)) > 50, 10)
    assert wait_for(lambda: canvas_pixels(browser, 'heater', (224, 123, 0)) > 20, 10)
    assert browser.execute_script('''return window.secop.plots[0].series
        .find(s => s.label === 'target').points.slice(-1)[0][1]''') == 45
    timing = browser.execute_script('return window.secop.timing')
    assert 0 < timing['describe_ms'] <= timing['first_plot_ms']

    pid = browser.find_element(By.CSS_SELECTOR, '[data-param="heater:ctrlpars"]')
    pid.send_keys('{"p": -1}', Keys.ENTER)       # valid JSON the node refuses: its error shown
    message = browser.find_element(By.ID, 'msg')
    assert wait_for(lambda: 'RangeError' in message.text, 5), message.text
    assert 'error_change heater:ctrlpars' in message.text

    button = browser.find_element(By.CSS_SELECTOR, '[data-command="heater:_examplecommand"]')
    a, b = button.find_elements(By.XPATH, '../input')
    a.send_keys('2.5')
    b.send_keys('4')
    button.click()
    result = browser.find_element(By.CSS_SELECTOR, '[data-result="heater:_examplecommand"]')
    assert wait_for(lambda: '10' in result.text, 5), result.text

    time.sleep(4)                                 # 80 s of simulated heating for the picture
    browser.execute_script('document.activeElement.blur(); window.scrollTo(0, 0)')
    os.makedirs(BUILD, exist_ok=True)
    browser.save_screenshot(os.path.join(BUILD, 'web_page.png'))
    if os.environ.get('UPDATE_README_SCREENSHOT'):     # the committed one, on request only
        browser.save_screenshot(os.path.join(ROOT, 'docs', 'web_page.png'))
    browser.set_window_size(412, 915)             # a phone
    time.sleep(0.5)
    browser.execute_script('window.scrollTo(0, 0)')
    assert browser.execute_script(
        'return document.documentElement.scrollWidth <= window.innerWidth + 1')
    browser.save_screenshot(os.path.join(BUILD, 'web_page_phone.png'))
    browser.set_window_size(1280, 1100)

    page = os.path.join(ROOT, 'web', 'index.html')
    figures = {'heap_before_bytes': before, 'heap_with_browser_bytes': with_browser,
               'web_path_heap_bytes': with_browser - before,
               'describe_ms': round(timing['describe_ms'], 1),
               'describe_to_first_plot_ms': round(timing['first_plot_ms'], 1),
               'page_bytes': os.path.getsize(page),
               'page_gzip_bytes': os.path.getsize(os.path.join(BUILD, 'www', 'index.html.gz'))}
    with open(os.path.join(BUILD, 'web_measurements.json'), 'w') as f:
        json.dump(figures, f, indent=1)
    print(figures)
    probe.ask('change heater:target 22')
    probe.close()
