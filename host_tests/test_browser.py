"""The node's web page in a real headless browser (Debian's chromium and
chromium-driver, driven by Selenium; nothing is downloaded at run time).

Each behaviour is driven through the page's DOM contract: ``data-value`` (shown
values), ``data-param`` with ``data-member`` (inputs, a struct's members),
``data-command``, ``data-status``, ``data-show-expert`` (the expert switch),
``data-window`` and ``data-export`` (history) and ``data-stale`` (what is not
live).  The first test saves screenshots in build/ (and docs/web_page.png and
web_page_phone.png for the README when the variable UPDATE_README_SCREENSHOT is set) and the figures
the closing note asks for in build/web_measurements.json: heap taken by the web
path while the browser is connected, describe-to-first-plot time, page size.
"""

import csv
import datetime
import json
import os
import re
import signal
import tempfile
import time

import pytest

from helpers import ROOT, SimNode, free_port, heap, wait_for

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
BUILD = os.path.join(ROOT, 'build')

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason='no chromium/chromedriver: apt-get install chromium chromium-driver (.ci/run does)')


@pytest.fixture(scope='module')
def downloads():
    with tempfile.TemporaryDirectory(prefix='secop-downloads-') as path:
        yield path


@pytest.fixture(scope='module')
def browser(downloads):
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
    driver.execute_cdp_cmd('Browser.setDownloadBehavior',
                           {'behavior': 'allow', 'downloadPath': downloads})
    yield driver
    driver.quit()
    profile.cleanup()


@pytest.fixture(scope='module')
def node():
    with SimNode(speed=20) as sim:
        yield sim


def read_value(client, spec):
    return json.loads(client.ask('read ' + spec).split(' ', 2)[2])[0]


def element(driver, selector):
    from selenium.common.exceptions import NoSuchElementException
    from selenium.webdriver.common.by import By
    try:
        return driver.find_element(By.CSS_SELECTOR, selector)
    except NoSuchElementException:      # not built yet
        return None


def shown(driver, spec):
    el = element(driver, '[data-value="%s"]' % spec)
    match = el and re.match(r'-?\d+(\.\d+)?', el.text)
    return float(match.group()) if match else None


def stale(driver, spec):
    return driver.execute_script(
        'const e = document.querySelector(arguments[0]); return e && e.hasAttribute("data-stale")',
        '[data-value="%s"]' % spec)


def open_page(driver, port):
    driver.get('http://127.0.0.1:%d/' % port)
    assert wait_for(lambda: shown(driver, 'heater:value') is not None, 15), 'no value shown'


def show_expert(driver, on):
    button = element(driver, '[data-show-expert]')
    if (button.get_attribute('aria-pressed') == 'true') != on:
        button.click()
    assert button.get_attribute('aria-pressed') == ('true' if on else 'false')


def canvas_pixels(driver, unit, color):
    """How many pixels of the plot canvas of ``unit`` are close to ``color`` (#rrggbb)."""
    return driver.execute_script('''
        const c = document.querySelector('canvas[data-plot="' + arguments[0] + '"]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const [r, g, b] = [1, 3, 5].map(i => parseInt(arguments[1].slice(i, i + 2), 16));
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
            if (d[i + 3] > 200 && Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40
                && Math.abs(d[i + 2] - b) < 40) n++;
        return n;''', unit, color)


def series(driver, spec):
    """The plotted series of ``spec``: its unit, colour and number of points."""
    return driver.execute_script('''
        for (const p of window.secop.plots) for (const s of p.series)
            if (s.spec === arguments[0]) return [p.unit, s.color, s.points.length];
        return null;''', spec)


def test_page_shows_the_node_and_drives_the_heater(browser, node):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    probe = node.client()
    before = heap(probe)
    open_page(browser, node.port)
    assert browser.title.startswith('example_heater')
    show_expert(browser, False)
    # the value shown is the value a SECoP client reads (updates arrive every pollinterval)
    assert wait_for(lambda: abs(shown(browser, 'heater:value')
                                - read_value(probe, 'heater:value')) <= 0.5, 10)
    badge = element(browser, '[data-status="heater"]')
    assert badge.text == 'IDLE'
    with_browser = heap(probe)

    target = element(browser, '[data-param="heater:target"]')
    target.send_keys('500', Keys.ENTER)           # outside 0..90: refused by the page
    assert 'bad' in target.get_attribute('class')
    assert read_value(probe, 'heater:target') != 500
    target.clear()
    target.send_keys('45', Keys.ENTER)
    assert wait_for(lambda: 'b3' in badge.get_attribute('class'), 10), badge.text   # BUSY
    assert badge.text in ('BUSY', 'RAMPING', 'STABILIZING')
    assert wait_for(lambda: read_value(probe, 'heater:target') == 45.0, 5)
    # the plots draw the value, the new target, the heater power and a readable (outside)
    for spec in ('heater:value', 'heater:target', 'heater:_heaterpower', 'outside:value'):
        unit, color, _ = series(browser, spec)
        assert wait_for(lambda: canvas_pixels(browser, unit, color) > 20, 10), spec
    assert series(browser, 'heater:value')[0] == series(browser, 'outside:value')[0] == '\u00b0C'
    assert series(browser, 'heater:_heaterpower')[0] == 'W'
    assert browser.execute_script(
        'return window.secop.hist["heater:target"].slice(-1)[0][1]') == 45
    timing = browser.execute_script('return window.secop.timing')
    assert 0 < timing['describe_ms'] <= timing['first_plot_ms']

    # numbers without a fmtstr: 4 significant digits, at most 4 decimals
    assert wait_for(lambda: read_value(probe, 'heater:_heaterpower') > 1, 10)
    power = element(browser, '[data-value="heater:_heaterpower"]')
    assert wait_for(lambda: re.fullmatch(r'\d{1,3}(\.\d+)? W', power.text), 5), power.text
    digits = re.sub(r'\D', '', power.text).lstrip('0')
    assert len(digits) <= 4, power.text

    # an error the node sends stays until dismissed, or until the next success
    message = element(browser, '#msg')
    limits = element(browser, '[data-param="heater:target_limits"]')
    assert not limits.is_displayed()                      # expert
    show_expert(browser, True)
    limits.send_keys('[60, 20]', Keys.ENTER)              # valid JSON the node refuses
    assert wait_for(lambda: 'RangeError' in message.text, 5), message.text
    assert 'error_change heater:target_limits' in message.text
    assert browser.execute_script(
        'return getComputedStyle(arguments[0]).wordBreak', message) == 'normal'
    time.sleep(2)                                         # updates and reads arrive meanwhile
    assert message.is_displayed() and 'RangeError' in message.text
    message.find_element(By.TAG_NAME, 'button').click()
    assert not message.is_displayed()
    limits.clear()
    limits.send_keys('[60, 20]', Keys.ENTER)
    assert wait_for(lambda: message.is_displayed(), 5)
    element(browser, '[data-param="heater:_window"]').send_keys('20', Keys.ENTER)
    assert wait_for(lambda: not message.is_displayed(), 5)     # the next success
    assert read_value(probe, 'heater:_window') == 20.0
    limits.clear()

    # a writable struct: one field per member, checked, one apply
    fields = {m: element(browser, '[data-param="heater:ctrlpars"][data-member="%s"]' % m)
              for m in 'pid'}
    gains = read_value(probe, 'heater:ctrlpars')
    assert wait_for(lambda: fields['i'].get_attribute('placeholder') == '%g' % gains['i'], 5)
    fields['p'].send_keys('-1', Keys.ENTER)               # below the member's minimum
    assert 'bad' in fields['p'].get_attribute('class')
    assert read_value(probe, 'heater:ctrlpars') == gains
    fields['p'].clear()
    fields['p'].send_keys('35')
    element(browser, '[data-apply="heater:ctrlpars"]').click()
    assert wait_for(lambda: read_value(probe, 'heater:ctrlpars') == dict(gains, p=35.0), 5)
    gains_shown = element(browser, '[data-value="heater:ctrlpars"]')
    assert wait_for(lambda: re.search(r'p\s*35\b', gains_shown.text), 5), gains_shown.text

    # autotune: start, progress, stop; its result is a read-only struct shown labelled
    panel = element(browser, '[data-panel="heater:_autotune"]')
    result = panel.find_element(By.CSS_SELECTOR, '[data-value="heater:_autotune_result"]')
    assert re.search(r'ku\s*0 W/K', result.text) and 'rule' in result.text, result.text
    progress = panel.find_element(By.CSS_SELECTOR, '[data-progress="heater"]')
    panel.find_element(By.CSS_SELECTOR, '[data-command="heater:_autotune"]').click()
    assert wait_for(lambda: progress.text.startswith('autotune:'), 10), progress.text
    assert wait_for(lambda: 'autotune:' in read_value(probe, 'heater:status')[1], 5)
    panel.find_element(By.XPATH, './/button[text()="stop"]').click()
    assert wait_for(lambda: 'stopped' in progress.text, 10), progress.text
    assert read_value(probe, 'heater:ctrlpars')['p'] == 35.0       # a stopped tune keeps them
    assert probe.ask('change heater:target 45').startswith('changed')

    button = element(browser, '[data-command="heater:_examplecommand"]')
    a, b = button.find_elements(By.XPATH, '..//input')
    a.send_keys('2.5')
    b.send_keys('4')
    button.click()
    answer = element(browser, '[data-result="heater:_examplecommand"]')
    assert wait_for(lambda: '10' in answer.text, 5), answer.text

    time.sleep(4)                                 # 80 s of simulated heating for the picture
    browser.set_window_size(1280, 1850)           # tall enough for the heater's card
    time.sleep(0.5)
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
    if os.environ.get('UPDATE_README_SCREENSHOT'):
        browser.save_screenshot(os.path.join(ROOT, 'docs', 'web_page_phone.png'))
    browser.execute_script('document.querySelector(\'[data-value="heater:ctrlpars"]\')'
                           '.scrollIntoView()')
    browser.save_screenshot(os.path.join(BUILD, 'web_page_phone_expert.png'))
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


def test_expert_parameters_hide_behind_a_remembered_switch(browser, node):
    open_page(browser, node.port)
    show_expert(browser, False)
    for spec in ('heater:ctrlpars', 'heater:_overtemp', 'heater:target_limits',
                 'heater:pollinterval', 'system:pollinterval'):
        assert not element(browser, '[data-value="%s"]' % spec).is_displayed(), spec
    for selector in ('[data-command="system:_reset_settings"]', '[data-panel="heater:_autotune"]',
                     '[data-param="heater:ctrlpars"][data-member="p"]'):
        assert not element(browser, selector).is_displayed(), selector
    power = element(browser, '[data-value="heater:_maxheaterpower"]')
    assert power.is_displayed()
    name = power.find_element('xpath', '../td[1]')
    assert name.text == 'maxheaterpower'                  # no underscore, the description as tip
    assert name.get_attribute('title') == 'maximum allowed heater power'
    show_expert(browser, True)
    open_page(browser, node.port)                         # remembered across a reload
    assert element(browser, '[data-show-expert]').get_attribute('aria-pressed') == 'true'
    assert element(browser, '[data-value="heater:ctrlpars"]').is_displayed()
    assert element(browser, '[data-command="system:_reset_settings"]').is_displayed()
    # group properties group the rows (no shipped accessible has one: given to three here)
    rows = browser.execute_script('''
        const d = JSON.parse(JSON.stringify(window.secop.desc)), acc = d.modules.heater.accessibles;
        for (const p of ['_tolerance', '_window', '_timeout']) acc[p].group = 'settling';
        acc.ramp.group = 'settling';
        build(d);
        return [...document.querySelectorAll('tr [data-value^="heater:"]')].map(e =>
            (e.parentNode.previousElementSibling || {}).textContent + '|' + e.dataset.value)''')
    at = rows.index('settling|heater:ramp')
    assert [r.split('|')[1] for r in rows[at:at + 4]] == [
        'heater:ramp', 'heater:_tolerance', 'heater:_window', 'heater:_timeout']


def test_history_is_kept_windowed_and_exported(browser, node, downloads):
    open_page(browser, node.port)
    assert wait_for(lambda: series(browser, 'heater:value')[2] > 5, 10)
    first = browser.execute_script('return window.secop.hist["heater:value"][0][0]')
    count = series(browser, 'heater:value')[2]
    open_page(browser, node.port)                        # a reload shows what was recorded
    assert browser.execute_script('return window.secop.hist["heater:value"][0][0]') == first
    assert series(browser, 'heater:value')[2] >= count
    browser.switch_to.new_window('tab')                  # and so does a second tab
    try:
        open_page(browser, node.port)
        assert browser.execute_script('return window.secop.hist["heater:value"][0][0]') == first
    finally:
        browser.close()
        browser.switch_to.window(browser.window_handles[0])

    # windows of 5 min, 1 h, 8 h on a clock-time axis; the choice is remembered
    for seconds in (28800, 3600, 300):
        element(browser, '[data-window="%d"]' % seconds).click()
        assert wait_for(lambda: 'on' in element(
            browser, '[data-window="%d"]' % seconds).get_attribute('class'), 5)
        ticks = browser.execute_script('return window.secop.plots[0].ticks')
        assert ticks and all(re.fullmatch(r'\d\d:\d\d(:\d\d)?', t) for t in ticks), ticks
    element(browser, '[data-window="3600"]').click()
    open_page(browser, node.port)
    assert browser.execute_script('return window.secop.win') == 3600
    assert 'on' in element(browser, '[data-window="3600"]').get_attribute('class')

    # CSV of the shown history: ISO 8601 time, one column per series
    for name in os.listdir(downloads):
        os.remove(os.path.join(downloads, name))
    element(browser, '[data-export="csv"]').click()
    assert wait_for(lambda: [n for n in os.listdir(downloads) if n.endswith('.csv')], 10)
    name = [n for n in os.listdir(downloads) if n.endswith('.csv')][0]
    assert name.startswith('example_heater-')
    with open(os.path.join(downloads, name)) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    assert head[0] == 'time'
    assert {'heater:value', 'heater:target', 'outside:value', 'system:value'} <= set(head)
    assert len(rows) > 10
    times = [datetime.datetime.fromisoformat(row[0].replace('Z', '+00:00')) for row in rows[1:]]
    assert times == sorted(times) and all(t.tzinfo for t in times)
    assert (times[-1] - times[0]).total_seconds() <= 3600
    column = head.index('outside:value')
    assert all(15 < float(row[column]) < 30 for row in rows[1:] if row[column])


def test_connection_truth(browser, tmp_path):
    """data-stale while no live connection (the header says since when), on values
    older than three pollintervals (a stalled node), and on neither once fresh values
    arrive; parameters the node does not push are read, so they stay fresh."""
    port = free_port()
    sim = SimNode(speed=20, port=port)
    try:
        open_page(browser, port)
        assert wait_for(lambda: not stale(browser, 'heater:value'), 5)
        time.sleep(7)               # no update of _maxheaterpower: it is read, so not stale
        assert not stale(browser, 'heater:_maxheaterpower')
        assert not stale(browser, 'heater:value')
        pid = sim.node_pid()
        os.kill(pid, signal.SIGSTOP)                     # a node that stalls, connected
        try:
            assert wait_for(lambda: stale(browser, 'heater:value'), 12)
            assert element(browser, '#conn').text == 'connected'
        finally:
            os.kill(pid, signal.SIGCONT)
        assert wait_for(lambda: not stale(browser, 'heater:value'), 10)
        sim.stop()                                       # the node goes away
        assert wait_for(lambda: 'disconnected since' in element(browser, '#conn').text, 10)
        assert browser.execute_script('''return [...document.querySelectorAll('[data-value]')]
            .every(e => e.hasAttribute('data-stale'))''')
        assert element(browser, '[data-status="heater"]').get_attribute('data-stale') is not None
        browser.save_screenshot(os.path.join(BUILD, 'web_page_stale.png'))
        sim = SimNode(speed=20, port=port)               # and comes back
        assert wait_for(lambda: element(browser, '#conn').text == 'connected', 20)
        assert wait_for(lambda: not stale(browser, 'heater:value'), 10)
        assert wait_for(lambda: not browser.execute_script(
            'return document.querySelector("[data-status=heater]").hasAttribute("data-stale")'), 5)
    finally:
        sim.stop()
