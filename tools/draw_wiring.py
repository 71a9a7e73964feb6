#!/usr/bin/env python3
"""Draw the wiring diagrams of docs/boards.md as SVG files (no dependencies).

    .venv/bin/python tools/draw_wiring.py       (writes docs/wiring/*.svg)

The NTC divider, a heater on a low-side MOSFET and one on a solid-state relay,
drawn from the few symbols of ``Drawing``; coordinates in px on a 20 px grid.
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


# file: (width, height, title, what draws it)
DRAWINGS = {
    'ntc_divider.svg': (640, 360, 'NTC thermistor in a divider with a filter capacitor',
                        ntc_divider),
    'mosfet_heater.svg': (660, 430, 'Heater on a low-side logic-level MOSFET', mosfet_heater),
    'ssr_heater.svg': (640, 330, 'Heater on a zero-cross solid-state relay', ssr_heater),
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
