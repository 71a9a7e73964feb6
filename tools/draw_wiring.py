#!/usr/bin/env python3
"""Draw the wiring diagrams of docs/boards.md as SVG files (no dependencies).

    .venv/bin/python tools/draw_wiring.py       (writes docs/wiring/*.svg)

The NTC divider, a heater on a low-side MOSFET and one on a solid-state relay, an
enable relay in series with a heater, a 4-wire RTD on a MAX31865, a thermocouple on a
MAX31855/6, the Pico W's pins and a WT32-ETH01, drawn from the few symbols of ``Drawing``;
coordinates in px on a 20 px grid.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STYLE = ('<style>line,polyline,path,rect,circle,polygon{stroke:#222;stroke-width:2;fill:none}'
         '.fill{fill:#222}.board{fill:#eef3fb;stroke:#4a6fa5}.note{fill:#555;font-size:12px}'
         'text{font-family:sans-serif;font-size:14px;fill:#222;stroke:none}'
         '.warn{fill:#b00020}.hot{stroke:#b00020}</style>')


def class_attr(cls):
    return ' class="%s"' % cls if cls else ''


class Drawing:
    def __init__(self, width, height, title):
        self.parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                      'viewBox="0 0 %d %d">%s<title>%s</title>' % (width, height, width, height,
                                                                  STYLE, title),
                      '<rect x="0" y="0" width="%d" height="%d" style="fill:#fff;stroke:none"/>'
                      % (width, height)]

    def add(self, svg):
        self.parts.append(svg)

    def wires(self, *polylines, cls=''):
        for points in polylines:
            self.add('<polyline points="%s"%s/>' % (' '.join('%d,%d' % p for p in points),
                                                     class_attr(cls)))

    def note(self, y, words, cls='note'):
        """A line of small print under the drawing."""
        self.text(20, y, words, cls=cls)

    def line(self, x1, y1, x2, y2):
        self.add('<line x1="%d" y1="%d" x2="%d" y2="%d"/>' % (x1, y1, x2, y2))

    def dots(self, *points):
        for point in points:
            self.add('<circle cx="%d" cy="%d" r="4" class="fill"/>' % point)

    def text(self, x, y, words, anchor='start', cls=''):
        words = words.replace('&', '&amp;').replace('<', '&lt;')
        self.add('<text x="%d" y="%d" text-anchor="%s"%s>%s</text>'
                 % (x, y, anchor, class_attr(cls), words))

    def labels(self, *labels):
        """``text`` for each (x, y, words[, anchor[, cls]])."""
        for label in labels:
            self.text(*label)

    def resistor(self, x, y1, y2, label, ntc=False, left=False):
        """Vertical zigzag between (x, y1) and (x, y2); label on the right (or left)."""
        mid = (y1 + y2) / 2
        top, bottom = mid - 30, mid + 30
        zigzag = [(x + (10 if i % 2 == 0 else -10), top + 5 + i * 10) for i in range(6)]
        self.wires([(x, y1), (x, top)] + zigzag + [(x, bottom), (x, y2)])
        if ntc:
            self.wires([(x - 22, bottom + 5), (x + 18, top - 5), (x + 28, top - 5)])
        self.text(x - 22 if left else x + 26, mid + 5, label, 'end' if left else 'start')

    def capacitor(self, x, y1, y2, label):
        mid = (y1 + y2) // 2
        self.wires([(x, y1), (x, mid - 5)], [(x, mid + 5), (x, y2)])
        self.line(x - 16, mid - 5, x + 16, mid - 5)
        self.line(x - 16, mid + 5, x + 16, mid + 5)
        self.text(x + 24, mid + 5, label)

    def diode(self, x, y1, y2, label):
        """Vertical diode, cathode at the top (y1)."""
        mid = (y1 + y2) // 2
        self.wires([(x, y1), (x, mid - 10)], [(x, mid + 10), (x, y2)])
        self.add('<polygon points="%d,%d %d,%d %d,%d" class="fill"/>'
                 % (x - 12, mid + 10, x + 12, mid + 10, x, mid - 10))
        self.line(x - 12, mid - 10, x + 12, mid - 10)
        self.text(x - 18, mid + 5, label, 'end')

    def ground(self, x, y):
        for i, half in enumerate((14, 9, 4)):
            self.line(x - half, y + i * 5, x + half, y + i * 5)

    def box(self, x, y, w, h, title, cls='board'):
        self.add('<rect x="%d" y="%d" width="%d" height="%d" rx="6" class="%s"/>'
                 % (x, y, w, h, cls))
        self.text(x + w // 2, y + 20, title, 'middle')

    def board(self, height, *pins):
        """The ESP32 / Pyboard box on the left, its pins (y, label) on its right edge."""
        self.box(20, 40, 170, height, 'ESP32 / Pyboard')
        for y, label in pins:
            self.add('<circle cx="190" cy="%d" r="4" style="fill:#fff"/>' % y)
            self.text(180, y + 5, label, 'end')

    def mosfet(self, x, y):
        """N-channel MOSFET: drain up at (x, y-40), source down at (x, y+40), gate at x-30."""
        self.line(x - 16, y - 22, x - 16, y + 22)
        for dy in (-18, 0, 18):
            self.line(x - 10, dy + y - 7, x - 10, dy + y + 7)
        self.wires([(x - 10, y - 18), (x, y - 18), (x, y - 40)],
                   [(x - 10, y + 18), (x, y + 18), (x, y + 40)],
                   [(x - 10, y), (x, y), (x, y + 18)], [(x - 40, y + 18), (x - 16, y + 18)])
        self.add('<polygon points="%d,%d %d,%d %d,%d" class="fill"/>'
                 % (x - 10, y, x - 3, y - 5, x - 3, y + 5))
        self.labels((x + 8, y - 26, 'D'), (x + 8, y + 34, 'S'), (x - 44, y + 14, 'G', 'end'))

    def svg(self):
        return ''.join(self.parts) + '</svg>\n'


def ntc_divider(d):
    d.board(280, (80, '3V3'), (180, 'ADC (GPIO 35 / X20)'), (300, 'GND'))
    d.resistor(320, 80, 170, 'r_fixed 10 k\u2126 (0.1 %)')
    d.resistor(320, 180, 290, 'NTC 10 k\u2126, B 3950', ntc=True)
    d.capacitor(530, 180, 290, '100 nF')
    d.wires([(190, 80), (320, 80)], [(190, 180), (320, 180)], [(320, 170), (320, 180)],
            [(320, 180), (530, 180)], [(190, 300), (530, 300), (530, 290)],
            [(320, 290), (320, 300)])
    d.dots((320, 180), (320, 300))
    d.ground(320, 310)
    d.note(350, 'Capacitor close to the ADC pin; twisted pair or shielded cable to the sensor.')


def mosfet_heater(d):
    d.board(340, (278, 'GPIO 25 / Y3 (PWM)'), (370, 'GND'))
    d.box(470, 40, 150, 90, 'heater supply')
    d.labels((545, 80, '12 V DC', 'middle'), (480, 120, '+'), (600, 120, '\u2212'))
    # the load and its flyback diode between +12 V and the drain
    d.box(375, 160, 50, 40, '', cls='')
    d.text(435, 185, 'heater')
    d.diode(330, 150, 220, 'flyback diode*')
    d.mosfet(400, 260)
    d.labels((420, 265, 'logic-level N-MOSFET'), (420, 283, '(e.g. IRLZ44N)', 'start', 'note'))
    # gate: series resistor, pull-down
    d.add('<rect x="215" y="271" width="50" height="14"/>')
    d.text(240, 264, '100 \u2126', 'middle')
    d.resistor(330, 278, 370, '10 k\u2126 pull-down', left=True)
    d.wires([(485, 130), (485, 150), (330, 150)], [(400, 150), (400, 160)],
            [(400, 200), (400, 220)], [(330, 220), (400, 220)], [(190, 278), (215, 278)],
            [(265, 278), (360, 278)], [(400, 300), (400, 370)],
            [(190, 370), (610, 370), (610, 130)], [(250, 370), (250, 380)])
    d.dots((400, 150), (400, 220), (330, 278), (330, 370), (400, 370), (250, 370))
    d.ground(250, 380)
    d.note(400, 'Common ground: board GND joined to the supply\u2019s \u2212; the heater '
           'current flows only in the right-hand loop.')
    d.note(416, '* only for inductive loads (fans, valves, relay coils); a resistive heater '
           'needs none.')


def ssr_heater(d):
    d.board(200, (100, 'GPIO 25 / Y3 (PWM)'), (200, 'GND'))
    d.wires([(190, 100), (280, 100)], [(190, 200), (280, 200)])
    d.box(280, 60, 140, 160, 'SSR (DC in)')
    d.labels((290, 105, '+ 3\u201332 V'), (290, 205, '\u2212'), (410, 105, '1', 'end'),
             (410, 205, '2', 'end'))
    d.wires([(420, 100), (470, 100)], [(510, 100), (600, 100)], [(420, 200), (470, 200)],
            [(530, 200), (600, 200)], cls='hot')
    d.add('<rect x="470" y="92" width="40" height="16" class="hot"/>')
    d.add('<rect x="470" y="185" width="60" height="30" class="hot"/>')
    d.labels((490, 86, 'fuse', 'middle'), (500, 240, 'heater', 'middle'), (605, 105, 'L'),
             (605, 205, 'N'))
    d.note(280, 'Mains side: a qualified person, a fuse, protective earth on the heater body '
           'and the enclosure.', cls='warn')
    d.note(305, 'A zero-cross SSR switches at the next zero crossing (every 10 ms at 50 Hz): '
           'use "freq": 1.')


def spi_lines(d, x_board, x_chip, top):
    """The four SPI lines and power from the board's pins to a chip's, 30 px apart."""
    names = (('3V3', 'VIN'), ('GND', 'GND'), ('SCK', 'SCK'), ('MOSI', 'SDI'),
             ('MISO', 'SDO'), ('CS (any GPIO)', 'CS'))
    for i, (board_pin, chip_pin) in enumerate(names):
        y = top + 30 * i
        d.wires([(x_board, y), (x_chip, y)])
        d.text(x_chip + 10, y + 5, chip_pin)
    return [(top + 30 * i, board_pin) for i, (board_pin, _) in enumerate(names)]


def max31865_rtd(d):
    d.board(210, *spi_lines(d, 190, 300, 80))
    d.box(300, 40, 150, 210, 'MAX31865')
    d.labels((440, 85, 'F+', 'end'), (440, 125, 'RTD+', 'end'), (440, 165, 'RTD−', 'end'),
             (440, 205, 'F−', 'end'))
    d.add('<rect x="340" y="214" width="70" height="16"/>')
    d.text(375, 246, 'R_ref 430 Ω (0.1 %)', 'middle', 'note')
    # four wires to the RTD: the force and the sense lead of each end join at the element
    d.wires([(450, 80), (640, 80), (640, 100)], [(450, 120), (600, 120), (600, 100), (640, 100)],
            [(450, 160), (600, 160), (600, 180), (640, 180)], [(450, 200), (640, 200), (640, 180)])
    d.resistor(640, 100, 180, 'PT100')
    d.dots((640, 100), (640, 180))
    d.text(666, 162, '4 wires', 'start', 'note')
    d.note(290, 'Force (F+, F\u2212) and sense (RTD+, RTD\u2212) leads join only at the sensor: '
           'their resistance drops out.')
    d.note(308, '3 wires: "wires": 3 and the breakout\u2019s jumpers; 2 wires: the leads add to '
           'the reading.')
    d.note(326, 'R_ref: 430 \u2126 for a PT100, 4300 \u2126 for a PT1000 ("r_ref"); its tolerance '
           'is the reading\u2019s (0.1 % \u2248 0.26 K).')


def thermocouple(d):
    d.board(210, *spi_lines(d, 190, 300, 80))
    d.box(300, 40, 170, 210, 'MAX31855 / 31856')
    d.labels((460, 125, 'T+', 'end'), (460, 165, 'T−', 'end'))
    d.wires([(470, 120), (620, 120)], [(470, 160), (620, 160)], cls='hot')
    d.wires([(620, 120), (660, 140)], [(620, 160), (660, 140)], cls='hot')
    d.labels((480, 108, 'type K +: green (IEC), yellow (ANSI)', 'start', 'note'),
             (480, 182, '\u2212: white (IEC), red (ANSI)', 'start', 'note'),
             (668, 145, 'junction'))
    d.note(290, 'Polarity matters: swapped leads read the difference backwards. Extend with '
           'wire of the same type only.')
    d.note(308, 'An insulated (ungrounded) junction: the chip\u2019s inputs float; a grounded '
           'probe on GND reads "shorted to GND" (MAX31855).')
    d.note(326, 'The chip is the cold junction: keep it out of the heater\u2019s draught; '
           '_cold_junction shows its temperature.')


# the Pico's 40 pins, top (USB) to bottom: left side 1-20, right side 40-21
PICO_LEFT = ('GP0', 'GP1', 'GND', 'GP2', 'GP3', 'GP4', 'GP5', 'GND', 'GP6', 'GP7', 'GP8', 'GP9',
             'GND', 'GP10', 'GP11', 'GP12', 'GP13', 'GND', 'GP14', 'GP15')
PICO_RIGHT = ('VBUS', 'VSYS', 'GND', '3V3_EN', '3V3(OUT)', 'ADC_VREF', 'GP28', 'AGND', 'GP27',
              'GP26', 'RUN', 'GP22', 'GND', 'GP21', 'GP20', 'GP19', 'GP18', 'GND', 'GP17', 'GP16')
PICO_USE = {'GP0': 'UART0 TX (serial)', 'GP1': 'UART0 RX', 'GP15': 'heater PWM',
            '3V3(OUT)': 'divider supply', 'AGND': 'divider ground', 'GP27': 'heater NTC divider',
            'GP26': 'outside NTC divider', 'GP18': 'SPI0 SCK (chips)', 'GP19': 'SPI0 MOSI',
            'GP16': 'SPI0 MISO', 'GP17': 'SPI0 CS (a chip)'}


def pico_w(d):
    d.box(250, 30, 160, 440, 'Pico W (top)')
    d.add('<rect x="305" y="22" width="50" height="16" class="board"/>')
    d.text(330, 62, 'USB', 'middle', 'note')
    for i, (left, right) in enumerate(zip(PICO_LEFT, PICO_RIGHT)):
        y = 80 + 20 * i
        for x, name, pin, side in ((250, left, i + 1, -1), (410, right, 40 - i, 1)):
            d.add('<circle cx="%d" cy="%d" r="4" style="fill:#fff"/>' % (x, y))
            d.text(x - 8 * side, y + 5, name, 'end' if side > 0 else 'start', 'note')
            use = PICO_USE.get(name)
            if use:
                d.wires([(x, y), (x + 30 * side, y)], cls='hot' if name == 'GP15' else '')
                d.text(x + 36 * side, y + 5, '%s (pin %d)' % (use, pin),
                       'start' if side > 0 else 'end')
    d.note(500, 'GP23–25 and GP29 drive the wireless chip. ADC inputs: GP26–28 only.')


def ethernet_board(d):
    """WT32-ETH01: its free GPIOs that config-ethernet.json uses; the LAN8720 is on board."""
    d.box(20, 40, 220, 300, 'WT32-ETH01 (LAN8720)')
    pins = ((90, '3V3'), (140, 'IO36 (ADC1)'), (190, 'IO39 (ADC1)'), (240, 'IO14 (PWM)'),
            (290, 'GND'))
    for y, label in pins:
        d.add('<circle cx="240" cy="%d" r="4" style="fill:#fff"/>' % y)
        d.text(230, y + 5, label, 'end')
    d.wires([(240, 90), (300, 90)], [(240, 140), (300, 140)], [(240, 190), (300, 190)],
            [(240, 290), (300, 290)])
    d.wires([(240, 240), (300, 240)], cls='hot')
    d.labels((310, 95, 'divider supply (r_fixed of both NTCs)'),
             (310, 145, 'outside NTC divider (as in the NTC drawing)'),
             (310, 195, 'heater NTC divider'),
             (310, 245, 'heater: MOSFET gate or SSR input (safe_pins: [14])'),
             (310, 295, 'ground of the dividers and the heater supply'))
    d.add('<rect x="60" y="300" width="60" height="30" class="board"/>')
    d.text(90, 320, 'RJ45', 'middle', 'note')
    d.note(370, 'GPIO 0, 16, 18, 19, 21, 22, 23, 25, 26, 27 belong to the Ethernet (RMII, MDC/MDIO, '
           'its oscillator): configcheck refuses them.')
    d.note(388, 'Power it from 5 V or 3V3, not both; flash through its UART pins (IO1 TX, IO3 RX) '
           'with IO0 to GND at reset.')


def enable_relay(d):
    d.board(360, (198, 'GPIO 26 / Y4 (enable)'), (340, 'GPIO 25 / Y3 (PWM)'), (390, 'GND'))
    d.labels((610, 55, '+12 V'), (610, 395, '0 V'))
    # the relay's coil on a small MOSFET, a flyback diode across it
    d.add('<rect x="310" y="80" width="40" height="40"/>')
    d.text(358, 135, 'relay coil')
    d.diode(270, 70, 130, 'D')
    d.mosfet(330, 180)
    d.resistor(250, 198, 290, '10 k\u2126')
    d.wires([(240, 60), (600, 60)], [(330, 60), (330, 80)], [(330, 120), (330, 140)],
            [(270, 60), (270, 70)], [(270, 130), (270, 140), (330, 140)],
            [(190, 198), (290, 198)], [(330, 220), (330, 240)], [(250, 290), (250, 300)],
            [(190, 390), (600, 390)])
    d.ground(330, 240)
    d.ground(250, 300)
    # its contact in series with the heater, which the PWM MOSFET switches
    d.wires([(520, 60), (520, 80), (540, 116)], [(520, 120), (520, 160)])
    d.dots((520, 80), (520, 120), (330, 60), (270, 60), (330, 140), (250, 198), (520, 390))
    d.add('<line x1="350" y1="100" x2="528" y2="100" style="stroke-dasharray:5 5"/>')
    d.text(548, 105, 'contact (NO)')
    d.add('<rect x="500" y="160" width="40" height="40" class="hot"/>')
    d.text(548, 185, 'heater')
    d.mosfet(520, 240)
    d.wires([(190, 340), (460, 340), (460, 258), (480, 258)], [(520, 280), (520, 390)])
    d.labels((380, 175, 'logic-level'), (380, 193, 'N-MOSFET'), (548, 235, 'N-MOSFET'),
             (548, 253, 'as above', 'start', 'note'))
    d.note(430, 'The relay is energised only while the interlock permits heating; a latched '
           'error, a sensor fault')
    d.note(446, 'or a stalled control step drops it, so a heater whose MOSFET failed short '
           'is cut too.')
    d.note(462, 'Both pins in board.safe_pins (low from boot); D: flyback diode across the '
           'coil (1N4148).')


# file: (width, height, title, what draws it)
DRAWINGS = {
    'ntc_divider.svg': (640, 360, 'NTC thermistor in a divider with a filter capacitor',
                        ntc_divider),
    'mosfet_heater.svg': (660, 430, 'Heater on a low-side logic-level MOSFET', mosfet_heater),
    'ssr_heater.svg': (640, 330, 'Heater on a zero-cross solid-state relay', ssr_heater),
    'max31865_rtd.svg': (760, 340, 'PT100 in 4 wires on a MAX31865', max31865_rtd),
    'thermocouple.svg': (760, 340, 'Thermocouple on a MAX31855 or MAX31856', thermocouple),
    'ethernet_board.svg': (780, 400, 'WT32-ETH01: the GPIOs of config-ethernet.json',
                           ethernet_board),
    'pico_w.svg': (700, 520, 'Pico W / Pico 2 W: the pins the shipped config uses',
                   pico_w),
    'enable_relay.svg': (680, 480, 'An enable relay in series with the heater', enable_relay),
}


def main():
    for name, (width, height, title, draw) in DRAWINGS.items():
        drawing = Drawing(width, height, title)
        draw(drawing)
        with open(os.path.join(ROOT, 'docs', 'wiring', name), 'w') as f:
            f.write(drawing.svg())
        print('wrote docs/wiring/' + name)


if __name__ == '__main__':
    sys.exit(__doc__) if sys.argv[1:] else main()       # it takes no options: --help
