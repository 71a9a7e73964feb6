"""node.secop_version: what *IDN? says and what describe carries in 1.1 and 2.0."""

import json
import unittest

import production_node
import tutorial_node


def ask(node, line):
    session = node.open_session()
    node.handle(session, line)
    return tutorial_node.drain(session)


def description(node):
    return json.loads(ask(node, b'describe')[len('describing . '):])


class Versions(unittest.TestCase):
    def test_default_is_1_1(self):
        node = tutorial_node.make_node()
        self.assertEqual(ask(node, b'*IDN?'), 'ISSE&SINE2020,SECoP,V2019-09-16,v1.1\n')
        heater = description(node)['modules']['heater']['accessibles']
        self.assertEqual(heater['target'].get('_checkable'), True)
        self.assertNotIn('checkable', heater['target'])
        self.assertEqual(heater['pollinterval']['visibility'], 'expert')

    def test_2_0(self):
        node = tutorial_node.make_node(secop_version='2.0')
        self.assertEqual(ask(node, b'*IDN?'), 'ISSE,SECoP,,v2.0\n')
        heater = description(node)['modules']['heater']['accessibles']
        self.assertEqual(heater['target'].get('checkable'), True)
        self.assertEqual(heater['_examplecommand'].get('checkable'), True)
        self.assertNotIn('_checkable', heater['target'])
        self.assertEqual(heater['pollinterval']['visibility'], 'w--')
        self.assertTrue(ask(node, b'check heater:target 30').startswith('checked heater:target'))

    def test_expert_accessibles_of_the_production_modules(self):
        experts = {('heater', 'pollinterval'): 'w--', ('heater', 'target_limits'): 'w--',
                   ('heater', 'ctrlpars'): 'w--', ('heater', '_overtemp'): 'r--',
                   ('heater', '_autotune'): 'w--', ('heater', '_autotune_result'): 'r--',
                   ('system', 'pollinterval'): 'w--', ('system', '_reset_settings'): 'w--',
                   ('outside', 'pollinterval'): 'w--', ('heater_output', 'pollinterval'): 'w--'}
        for version in ('1.1', '2.0'):
            modules = description(production_node.make_node(secop_version=version))['modules']
            marked = {(m, a): acc['visibility'] for m in modules
                      for a, acc in modules[m]['accessibles'].items() if 'visibility' in acc}
            self.assertEqual(marked, experts if version == '2.0' else
                             {key: 'expert' for key in experts})

    def test_visibility_and_meaning_in_either_form_go_out_in_the_version_in_force(self):
        forms = {'outside': {'visibility': 'wwr', 'meaning': ['temperature', 10]},
                 'heater': {'visibility': 'advanced', 'meaning': {
                     'function': 'temperature_regulation', 'importance': 20,
                     'belongs_to': 'sample'}},
                 'heater_output': {'visibility': 'expert', 'meaning': {'function': 'voltage'}},
                 'system': {'visibility': 'w--', 'meaning': {'link': 'https://x.org/t'}}}
        sent = {'1.1': {'outside': ('user', ['temperature', 10]),
                        'heater': ('advanced', ['temperature_regulation', 20]),
                        'heater_output': ('expert', ['voltage', 0]),
                        'system': ('expert', None)},
                '2.0': {'outside': ('wwr', {'function': 'temperature', 'importance': 10}),
                        'heater': ('ww-', forms['heater']['meaning']),
                        'heater_output': ('w--', {'function': 'voltage'}),
                        'system': ('w--', {'link': 'https://x.org/t'})}}
        for version, expected in sent.items():
            modules = description(production_node.make_node(
                secop_version=version, modules=json.loads(json.dumps(forms))))['modules']
            self.assertEqual({name: (m['visibility'], m.get('meaning'))
                              for name, m in modules.items()}, expected, version)

    def test_unknown_version_falls_back_to_1_1(self):
        node = tutorial_node.make_node(secop_version='1.0')
        self.assertEqual(ask(node, b'*IDN?'), 'ISSE&SINE2020,SECoP,V2019-09-16,v1.1\n')


class Details(unittest.TestCase):
    """Small things facility clients tripped over."""

    def test_emoji_counts_as_one_character_on_both_runtimes(self):
        node = tutorial_node.make_node()
        twenty = b'"' + b'\\ud83d\\ude00' * 20 + b'"'       # _note has maxchars 20
        self.assertTrue(ask(node, b'change aux:_note ' + twenty).startswith('changed aux:_note'))
        self.assertIn('RangeError', ask(node, b'change aux:_note "x' + twenty[1:]))

    def test_status_text_has_maxchars(self):
        node = tutorial_node.make_node()
        status = description(node)['modules']['heater']['accessibles']['status']
        self.assertEqual(status['datainfo']['members'][1]['maxchars'], 80)
        heater = node.modules[1]
        heater.set_status(200, 'x' * 200)
        self.assertEqual(len(heater.get('status')[1]), 80)

    def test_one_sided_limits_read_well(self):
        from secop.datatypes import Double
        from secop.errors import SECoPError
        for datatype, text in ((Double(0), '-1 must be at least 0'),
                               (Double(None, 5), '6 must be at most 5')):
            with self.assertRaises(SECoPError) as info:
                datatype.validate(-1 if text.startswith('-') else 6)
            self.assertEqual(info.exception.text, text)

    def test_over_long_line_reply_is_matchable(self):
        node = tutorial_node.make_node()
        session = node.open_session()
        node.handle_oversize(session, b'change heater:target ' + b'1' * 2000)
        node.handle_oversize(session, b'read heater:\xc3\xa9' + b'x' * 2000)   # cut in the specifier
        lines = tutorial_node.drain(session).splitlines()
        self.assertTrue(lines[0].startswith('error_change heater:target ["ProtocolError",'))
        self.assertTrue(lines[1].startswith('error_read  ["ProtocolError",'))
