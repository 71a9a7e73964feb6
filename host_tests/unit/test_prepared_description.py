"""A describing line prepared on the host (secop.describe.write, tools/compile_node.py)
is what the node streams for ``describe``, byte for byte what it would build itself;
the builder takes it only for the config.json it was made from."""

import os
import unittest

import builder
import tutorial_node
from secop import describe

FOLDER = '/tmp/secop-prepared-test'
CONFIG = FOLDER + '/config.json'
REPORT = FOLDER + '/describing.txt'
CONFIG_TEXT = b'{"node": {"equipment_id": "prepared"}, "modules": []}'


def ask_describe(node):
    session = node.open_session()
    node.handle(session, b'describe')
    return tutorial_node.drain(session)


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


class PreparedDescription(unittest.TestCase):
    def setUp(self):
        try:
            os.mkdir(FOLDER)
        except OSError:
            pass        # there from an earlier run

    def tearDown(self):
        for path in (CONFIG, REPORT):
            try:
                os.remove(path)
            except OSError:
                pass

    def test_streamed_line_is_the_built_one(self):
        for version in ('1.1', '2.0'):
            node = tutorial_node.make_node(secop_version=version)
            built = ask_describe(node)
            describe.write(node, REPORT, '1234abcd')
            node.description_file = REPORT
            self.assertEqual(ask_describe(node), built)

    def test_the_node_streams_the_file(self):
        node = tutorial_node.make_node()
        write(REPORT, b'0000002a\ndescribing . {"modules":{}, "x": "' + b'y' * 700 + b'"}\n')
        node.description_file = REPORT
        self.assertEqual(ask_describe(node),
                         'describing . {"modules":{}, "x": "' + 'y' * 700 + '"}\n')

    def test_builder_takes_the_line_of_this_config_only(self):
        write(CONFIG, CONFIG_TEXT)
        config, why, key = builder.load_config(CONFIG)
        self.assertEqual((config['node']['equipment_id'], why), ('prepared', ''))
        self.assertIsNone(builder.prepared_description(CONFIG, key))       # none yet
        write(REPORT, key.encode() + b'\ndescribing . {}\n')
        self.assertEqual(builder.prepared_description(CONFIG, key), REPORT)
        write(CONFIG, CONFIG_TEXT.replace(b'prepared', b'edited!!'))      # changed on the board
        self.assertIsNone(builder.prepared_description(CONFIG, builder.load_config(CONFIG)[2]))
