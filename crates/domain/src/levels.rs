//! From the inventory to a level: the system record supplies what it knows (type,
//! information, data subjects, administrative procedures, 24/7), the wizard asks the
//! rest, and the regime's engine (`khien-levels`) decides.

use khien_levels::LevelInput;
use khien_levels::input::{InformationType, SystemType as LegalType};

use crate::systems::{InfoType, SystemFields, SystemType};

fn legal_type(t: SystemType) -> LegalType {
    match t {
        SystemType::Internal => LegalType::Internal,
        SystemType::CitizenBusiness => LegalType::CitizenBusiness,
        SystemType::Infrastructure => LegalType::Infrastructure,
        SystemType::IndustrialControl => LegalType::IndustrialControl,
        SystemType::Other => LegalType::Other,
    }
}

fn legal_info(i: InfoType) -> InformationType {
    match i {
        InfoType::Public => InformationType::Public,
        InfoType::Private => InformationType::Private,
        InfoType::Personal => InformationType::Personal,
        InfoType::StateSecret => InformationType::StateSecret,
    }
}

/// The classification input for a system: the wizard's answers, with every field the
/// inventory already holds taken from the inventory (so the two cannot disagree).
pub fn level_input(regime: &str, system: &SystemFields, answers: &LevelInput) -> LevelInput {
    LevelInput {
        regime: Some(regime.to_string()),
        system_type: Some(legal_type(system.system_type)),
        information: system
            .information_types
            .iter()
            .map(|i| legal_info(*i))
            .collect(),
        personal_data_subjects: u64::try_from(system.personal_subjects).unwrap_or(0),
        sensitive_data_subjects: u64::try_from(system.sensitive_subjects).unwrap_or(0),
        handles_administrative_procedures: system.handles_admin_procedures,
        requires_24x7: system.requires_24x7,
        ..answers.clone()
    }
}

/// Whether the inventory now says something different from what a determination used:
/// then the level must be determined again and a new dossier version made.
pub fn classification_changed(used: &LevelInput, system: &SystemFields) -> bool {
    let regime = used.regime.clone().unwrap_or_default();
    let now = level_input(&regime, system, used);
    let key = |i: &LevelInput| {
        let mut info: Vec<String> = i.information.iter().map(|x| format!("{x:?}")).collect();
        info.sort();
        (
            format!("{:?}", i.system_type),
            info,
            i.personal_data_subjects,
            i.sensitive_data_subjects,
            i.handles_administrative_procedures,
            i.requires_24x7,
        )
    };
    key(used) != key(&now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::systems::SystemInput;

    #[test]
    fn inventory_fields_win_and_changes_are_noticed() {
        let s = SystemInput {
            name: "Cổng dịch vụ công".into(),
            owner_unit_id: "u".into(),
            system_type: "citizen_business".into(),
            status: "planning".into(),
            information_types: "personal".into(),
            personal_subjects: "12000".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let answers = LevelInput {
            online_public_service_level: 4,
            personal_data_subjects: 1,
            ..Default::default()
        };
        let input = level_input("nd85-2016", &s, &answers);
        assert_eq!(input.personal_data_subjects, 12_000);
        assert_eq!(input.online_public_service_level, 4);
        let d = khien_levels::classify(&input).unwrap();
        assert_eq!(d.level, 3);
        assert!(!classification_changed(&input, &s));
        let grown = SystemFields {
            sensitive_subjects: 5,
            ..s.clone()
        };
        assert!(classification_changed(&input, &grown));
        let renamed = SystemFields {
            name: "Tên mới".into(),
            ..s
        };
        assert!(
            !classification_changed(&input, &renamed),
            "a new name does not change the level"
        );
    }
}
